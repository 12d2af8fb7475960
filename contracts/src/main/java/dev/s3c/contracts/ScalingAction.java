package dev.s3c.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a scaling event reports. */
public enum ScalingAction {
    /** More instances: the backlog per instance went over the scale-up threshold. */
    @JsonProperty("scale_up") SCALE_UP,
    /** Fewer instances: the backlog per instance stayed under the scale-down threshold for the quiet period. */
    @JsonProperty("scale_down") SCALE_DOWN,
    /** Same total, new split: executor processes joined or left, or did not run what they were told. */
    @JsonProperty("rebalance") REBALANCE,
    /** Invocations are queued but none completed for a while; the pool is held, never shrunk, until they move. */
    @JsonProperty("stalled") STALLED
}
