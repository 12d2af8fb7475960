package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.functions.FunctionConfig;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.idempotency.IdempotencyKeys;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.Quotas;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * What becomes of an idempotency key claimed for an invocation that then fails before it is queued: freed, so that
 * the retry (a caller's, or a schedule's next round) runs rather than finding an execution that never ran; kept
 * only when the answer says the invocation may have been queued.
 */
class IdempotencyKeyReleaseTest {

    private static final Caller ACME = new Caller("acme", null);
    private static final FunctionDocument FUNCTION = new FunctionDocument("f1", "acme", "tick", "", null, null,
            new FunctionConfig(30_000, 3), FunctionStatus.ACTIVE, 1, Instant.EPOCH, Instant.EPOCH, null, null);

    private final Invocations invocations = mock(Invocations.class);
    private final IdempotencyKeys keys = mock(IdempotencyKeys.class);
    private final Quotas quotas = mock(Quotas.class);
    private final InvocationController controller = new InvocationController(mock(FunctionService.class),
            invocations, null, keys, mock(ReactiveMongoTemplate.class), quotas);

    @BeforeEach
    void fakes() {
        when(invocations.awaitRoom(any())).thenReturn(Mono.empty());
        when(keys.claim(eq("f1"), eq("k"), anyString(), anyString()))
                .thenAnswer(i -> Mono.just(new IdempotencyKeys.Claim(i.getArgument(3), true)));
        when(keys.release("f1", "k")).thenReturn(Mono.empty());
    }

    private Throwable call() {
        return controller.callOnSchedule(ACME, FUNCTION, JsonNodeFactory.instance.objectNode(), "k")
                .then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(Duration.ofSeconds(5));
    }

    @Test
    void aStoreErrorOnTheWayFreesTheKey() {
        when(quotas.admit(ACME)).thenReturn(Mono.error(new IllegalStateException("store away")));
        assertThat(call()).hasMessage("store away");
        verify(keys).release("f1", "k");
    }

    @Test
    void aRefusalFreesTheKeyAndIsAnsweredAsItWasEvenWhenTheReleaseFails() {
        when(quotas.admit(ACME)).thenReturn(Mono.error(new ApiException(HttpStatus.TOO_MANY_REQUESTS, "over",
                List.of())));
        when(keys.release("f1", "k")).thenReturn(Mono.error(new IllegalStateException("store away")));
        assertThat(call()).isInstanceOf(ApiException.class).hasMessage("over");
        verify(keys).release("f1", "k");
    }

    @Test
    void anInvocationThatMayHaveBeenQueuedKeepsTheKey() {
        when(quotas.admit(ACME)).thenReturn(Mono.empty());
        placed();
        when(invocations.publish(any(), anyString())).thenReturn(Mono.error(new ApiException(
                HttpStatus.SERVICE_UNAVAILABLE, "may have been queued", List.of(),
                Map.of("Location", "/api/executions/x", "Retry-After", "5"))));
        assertThat(tick()).isEqualTo(ScheduledCalls.Outcome.UNCONFIRMED);
        verify(keys, never()).release(anyString(), anyString());
        verify(keys, never()).confirm(anyString(), anyString());
    }

    @Test
    void aTickQueuedIsConfirmedSoThatOtherGatewaysTakeItAsQueued() {
        when(quotas.admit(ACME)).thenReturn(Mono.empty());
        placed();
        when(invocations.publish(any(), anyString())).thenReturn(Mono.empty());
        when(keys.confirm("f1", "k")).thenReturn(Mono.empty());
        assertThat(tick()).isEqualTo(ScheduledCalls.Outcome.QUEUED);
        verify(keys).confirm("f1", "k");
        // as another gateway finds the claim: before the word, and after it
        when(keys.claim(eq("f1"), eq("k"), anyString(), anyString()))
                .thenReturn(Mono.just(new IdempotencyKeys.Claim("e1", false, false, null)))
                .thenReturn(Mono.just(new IdempotencyKeys.Claim("e1", false, true, null)));
        assertThat(tick()).isEqualTo(ScheduledCalls.Outcome.CLAIMED);
        assertThat(tick()).isEqualTo(ScheduledCalls.Outcome.TAKEN);
    }

    private void placed() {
        when(invocations.place(any(), any(), any(), any())).thenAnswer(i -> Mono.just(
                new Invocations.Placed("acme", i.getArgument(2), null, null)));
    }

    private ScheduledCalls.Outcome tick() {
        return controller.callOnSchedule(ACME, FUNCTION, JsonNodeFactory.instance.objectNode(), "k")
                .block(Duration.ofSeconds(5)).outcome();
    }
}
