package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

class ContextHoldTest {

    private final ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/api/functions"));
    private final Context above = Context.of("security", "the caller's");
    /** How often the web server's end of the chain, above every filter, was asked for the context. */
    private final AtomicInteger askedAbove = new AtomicInteger();
    private final AtomicReference<String> ended = new AtomicReference<>();

    /** Subscribes the filter under a few operators, as the filters above it add them, and a counting web server. */
    private void run(WebFilterChain controllers) {
        new ContextHold().filter(exchange, controllers)
                .map(nothing -> nothing).filter(nothing -> true).onErrorResume(IllegalStateException.class,
                        e -> Mono.error(new IllegalArgumentException(e.getMessage())))
                .subscribe(new CoreSubscriber<Void>() {
                    @Override
                    public Context currentContext() {
                        askedAbove.incrementAndGet();
                        return above;
                    }

                    @Override
                    public void onSubscribe(Subscription subscription) {
                        subscription.request(Long.MAX_VALUE);
                    }

                    @Override
                    public void onNext(Void nothing) {
                    }

                    @Override
                    public void onError(Throwable e) {
                        ended.set(e.getClass().getSimpleName() + ": " + e.getMessage());
                    }

                    @Override
                    public void onComplete() {
                        ended.set("complete");
                    }
                });
    }

    /**
     * Below the hold, each read of the context (ten here, a WebFlux call makes dozens) stops at the hold instead of
     * walking up through every operator to the web server; what it reads is the very context from above.
     */
    @Test
    void readsBelowTheHoldFindTheContextFromAboveWithoutWalkingUpToIt() {
        List<ContextView> seen = new CopyOnWriteArrayList<>();
        run(exchange -> Flux.range(0, 10)
                .concatMap(i -> Mono.deferContextual(context -> {
                    seen.add(context);
                    return Mono.empty();
                }))
                .then());

        assertThat(ended).hasValue("complete");
        assertThat(seen).hasSize(10).allSatisfy(context -> assertThat(context).isSameAs(above));
        int withTenReads = askedAbove.getAndSet(0);

        run(exchange -> Mono.empty());
        // as often as when nothing below reads it: the operators above, and the hold once, at its subscription
        assertThat(askedAbove).hasValue(withTenReads);
        assertThat(withTenReads).isLessThan(10);
    }

    /** The rest of the chain's outcome passes through unchanged. */
    @Test
    void whatTheControllersEndWithReachesTheFiltersAbove() {
        run(exchange -> Mono.error(new IllegalStateException("the controller failed")));
        assertThat(ended).hasValue("IllegalArgumentException: the controller failed");

        run(exchange -> exchange.getResponse().setComplete());
        assertThat(ended).hasValue("complete");
        assertThat(exchange.getResponse().isCommitted()).isTrue();
    }
}
