package dev.s3c.gateway.loadtests;

import dev.s3c.gateway.GatewayProperties.LoadTestLimits;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.functions.FunctionService;
import java.util.List;
import java.util.Set;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * What a user asked a load test to do. Either {@code concurrency} callers that each wait for their call before
 * the next (closed loop), or a fixed {@code ratePerSecond} whatever the answers (open loop).
 *
 * @param concurrency callers of a closed-loop test, or null for an open-loop one
 * @param ratePerSecond calls a second of an open-loop test, or null for a closed-loop one
 */
record LoadTestSpec(String functionId, JsonNode input, boolean sync, Integer concurrency, Integer ratePerSecond,
        int durationSeconds) {

    static final int DEFAULT_CONCURRENCY = 20;
    static final int DEFAULT_DURATION_SECONDS = 30;
    private static final Set<String> FIELDS = Set.of("functionId", "input", "mode", "concurrency", "ratePerSecond",
            "durationSeconds");

    static LoadTestSpec parse(String body, LoadTestLimits limits, long maxInputBytes) {
        JsonNode json = JsonBodies.parseObject(body);
        for (String field : json.propertyNames()) {
            if (!FIELDS.contains(field)) {
                throw ApiException.badRequest(field, "is not a field of a load test (" + String.join(", ",
                        new java.util.TreeSet<>(FIELDS)) + ")");
            }
        }
        JsonNode id = json.path("functionId");
        if (!id.isString()) {
            throw ApiException.badRequest("functionId", "is required: the id or name of the function to call");
        }
        String functionId = FunctionService.idOrName("functionId", id.asString());
        JsonNode input = json.has("input") ? json.get("input") : NullNode.getInstance();
        // the same bound as one invocation's input, which each call of the test carries
        int inputBytes = JsonCodec.toBytes(input).length;
        if (inputBytes > maxInputBytes) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "input is larger than " + maxInputBytes + " bytes",
                    List.of(new FieldError("input", "is larger than " + maxInputBytes + " bytes")));
        }
        boolean sync = switch (json.path("mode").isMissingNode() ? "async" : json.path("mode").asString("")) {
            case "async" -> false;
            case "sync" -> true;
            default -> throw ApiException.badRequest("mode", "must be \"async\" or \"sync\"");
        };
        Integer concurrency = optionalInt(json, "concurrency", 1, limits.maxConcurrency());
        Integer rate = optionalInt(json, "ratePerSecond", 1, limits.maxRatePerSecond());
        if (concurrency != null && rate != null) {
            throw ApiException.badRequest("ratePerSecond", "cannot be given with concurrency: a test either keeps "
                    + "a number of callers busy or sends at a fixed rate");
        }
        if (concurrency == null && rate == null) {
            concurrency = DEFAULT_CONCURRENCY;
        }
        Integer duration = optionalInt(json, "durationSeconds", 1, (int) limits.maxDuration().toSeconds());
        return new LoadTestSpec(functionId, input, sync, concurrency, rate,
                duration == null ? DEFAULT_DURATION_SECONDS : duration);
    }

    /** This test of the function with that id (the spec may name it by its name). */
    LoadTestSpec of(String id) {
        return new LoadTestSpec(id, input, sync, concurrency, ratePerSecond, durationSeconds);
    }

    private static Integer optionalInt(JsonNode json, String field, int min, int max) {
        JsonNode value = json.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min || value.asInt() > max) {
            throw ApiException.badRequest(field, "must be a whole number from " + min + " to " + max);
        }
        return value.asInt();
    }

    String mode() {
        return sync ? "sync" : "async";
    }
}
