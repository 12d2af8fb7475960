package dev.s3c.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether a function accepts invocations. */
public enum FunctionStatus {
    @JsonProperty("active") ACTIVE,
    @JsonProperty("inactive") INACTIVE;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static java.util.Optional<FunctionStatus> fromWire(String value) {
        for (FunctionStatus s : values()) {
            if (s.wire().equals(value)) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }
}
