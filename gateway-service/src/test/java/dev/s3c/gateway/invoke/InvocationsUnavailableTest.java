package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.kafka.core.KafkaProducerException;

/** What a failed publish tells the caller: whether the invocation may have been queued, and then where to look. */
class InvocationsUnavailableTest {

    private static Throwable asTheTemplateFailsIt(Throwable kafka) {
        return new CompletionException(new KafkaProducerException(new ProducerRecord<>("s3c.invocations", "e-1", "v"),
                "Failed to send", kafka));
    }

    @Test
    void aSendThatNeverLeftTheGatewayWasNotQueued() {
        for (Throwable e : new Throwable[] {
                asTheTemplateFailsIt(new TimeoutException("Topic s3c.invocations not present in metadata after 3000 ms.")),
                asTheTemplateFailsIt(new RecordTooLargeException("too large")),
                // a timeout too, but waiting for room in the send buffer: the record never left
                asTheTemplateFailsIt(new org.apache.kafka.clients.producer.BufferExhaustedException(
                        "Failed to allocate 100 bytes within the configured max blocking time 3000 ms."))}) {
            var error = Invocations.unavailable("e-1", e);
            assertThat(error.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(error.getMessage()).startsWith("the invocation could not be queued, nothing was run");
            assertThat(error.headers()).containsEntry("Retry-After", "5").doesNotContainKey("Location");
        }
    }

    @Test
    void aSendThatTimedOutOnItsWayMayHaveBeenQueuedAndNamesTheExecution() {
        var error = Invocations.unavailable("e-1", asTheTemplateFailsIt(new TimeoutException(
                "Expiring 1 record(s) for s3c.invocations-3:5001 ms has passed since batch creation")));
        assertThat(error.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(error.getMessage()).contains("may have been queued as execution e-1").contains("Idempotency-Key");
        assertThat(error.headers()).containsEntry("Location", "/api/executions/e-1").containsEntry("Retry-After", "5");
    }
}
