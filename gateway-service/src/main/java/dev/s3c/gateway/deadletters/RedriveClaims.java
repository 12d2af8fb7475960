package dev.s3c.gateway.deadletters;

import dev.s3c.gateway.idempotency.IdempotencyKeys;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * What keeps a redrive from running twice: one claim per dead-lettered attempt series (a double click, a client's
 * retry, two gateways at once), and the caller's {@code Idempotency-Key} if it sent one. Both are idempotency keys in
 * the store, scoped to the execution, so they hold across gateway instances and restarts; a claim whose redrive was
 * certainly not queued is released, so a retry can run it.
 */
final class RedriveClaims {

    private final IdempotencyKeys keys;

    RedriveClaims(IdempotencyKeys keys) {
        this.keys = keys;
    }

    private static String scope(String executionId) {
        return "redrive/" + executionId;
    }

    /** @return whether this call redrives {@code series}; false when another redrive of it was queued first */
    Mono<Boolean> claimSeries(String executionId, int series) {
        return keys.claim(scope(executionId), "series:" + series, "redrive", executionId)
                .map(IdempotencyKeys.Claim::fresh);
    }

    Mono<Void> releaseSeries(String executionId, int series) {
        return keys.release(scope(executionId), "series:" + series);
    }

    /**
     * Claims the caller's key for the redrive that starts series {@code nextSeries}.
     *
     * @return empty when this call is the first with the key; else the series an earlier call with it started
     * @throws dev.s3c.gateway.api.ApiException 422 naming the header when the key was used with another body
     */
    Mono<Optional<Integer>> claimKey(String executionId, String key, String fingerprint, int nextSeries) {
        return keys.claim(scope(executionId), "key:" + key, fingerprint, executionId + "#" + nextSeries)
                .map(claim -> claim.fresh() ? Optional.<Integer>empty() : Optional.of(series(claim.executionId())));
    }

    Mono<Void> releaseKey(String executionId, String key) {
        return keys.release(scope(executionId), "key:" + key);
    }

    /**
     * An earlier redrive with this key whose dead letter is gone by now (the monitor removes a redriven one).
     *
     * @return the series it started, or empty when the key was not used for this execution
     */
    Mono<Integer> earlier(String executionId, String key, String fingerprint) {
        // read only: claiming the key here, even for a moment, could be read by a concurrent call as its answer
        return keys.find(scope(executionId), "key:" + key, fingerprint).map(claim -> series(claim.executionId()));
    }

    private static int series(String claimed) {
        return Integer.parseInt(claimed.substring(claimed.lastIndexOf('#') + 1));
    }
}
