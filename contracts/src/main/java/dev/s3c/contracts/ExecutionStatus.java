package dev.s3c.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;
import java.util.Optional;

/** Where an execution stands. Everything but QUEUED and RUNNING is final. */
public enum ExecutionStatus {
    @JsonProperty("queued") QUEUED,
    @JsonProperty("running") RUNNING,
    @JsonProperty("succeeded") SUCCEEDED,
    @JsonProperty("failed") FAILED,
    @JsonProperty("timed_out") TIMED_OUT,
    @JsonProperty("rejected") REJECTED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean terminal() {
        return this != QUEUED && this != RUNNING;
    }

    public static Optional<ExecutionStatus> fromWire(String value) {
        for (ExecutionStatus s : values()) {
            if (s.wire().equals(value)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
