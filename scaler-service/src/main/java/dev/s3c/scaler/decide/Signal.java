package dev.s3c.scaler.decide;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.LagSample;

/** One input of the decider: exactly one field is set. Lives only between merge and process, never on a topic. */
record Signal(TrafficCounts traffic, LagSample lag, ExecutorStatus status, String statusKey) {

    static Signal ofTraffic(TrafficCounts traffic) {
        return new Signal(traffic, null, null, null);
    }

    static Signal ofLag(LagSample lag) {
        return new Signal(null, lag, null, null);
    }

    /** A status, or a tombstone (null status) for the process {@code key}. */
    static Signal status(String key, ExecutorStatus status) {
        return new Signal(null, null, status, key);
    }
}
