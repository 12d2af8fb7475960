package dev.s3c.gateway.tenants;

import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.keys.ApiKeys;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Tenants and their keys, managed with an admin key ({@code /api/tenants/me} answers any key). A key is shown once,
 * in the answer that made it; rotate by adding a new key, moving clients to it, then deleting the old one.
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Tenants")
@RestController
@RequestMapping("/api/tenants")
class TenantController {

    static final Pattern TENANT_ID = Pattern.compile("[a-z][a-z0-9-]{0,38}[a-z0-9]");
    private static final Pattern KEY_ID = Pattern.compile("key_[0-9a-f]{16}");
    /** Not tenants' ids: {@code /api/tenants/me} is the caller's own, and admin keys go by "admin". */
    private static final java.util.Set<String> RESERVED = java.util.Set.of("me", "admin");

    private final TenantStore store;
    private final ApiKeys keys;
    private final FunctionService functions;
    private final Quotas quotas;
    private final RunningExecutions running;
    private final TenantLimits defaults;

    TenantController(TenantStore store, ApiKeys keys, FunctionService functions, Quotas quotas,
            RunningExecutions running, GatewayProperties properties) {
        this.running = running;
        this.store = store;
        this.keys = keys;
        this.functions = functions;
        this.quotas = quotas;
        var d = properties.tenantDefaults();
        this.defaults = new TenantLimits(positive(d.invocationsPerSecond()), positive(d.maxFunctions()),
                d.maxCodeSize().toBytes() > 0 ? d.maxCodeSize().toBytes() : null,
                positive((int) d.maxTimeout().toMillis()), d.maxRetries() >= 0 ? d.maxRetries() : null,
                positive(d.concurrentExecutions()));
    }

    private static Integer positive(int value) {
        return value > 0 ? value : null;
    }

    record KeyView(String id, Instant createdAt) {
    }

    /** A key just made: the only time the key itself is shown. */
    record NewKey(String id, String key, String tenant, Instant createdAt) {
    }

    record TenantView(String id, Instant createdAt, TenantLimits limits, List<KeyView> keys) {
    }

    record CreatedTenant(String id, Instant createdAt, TenantLimits limits, NewKey key) {
    }

    /**
     * What a tenant uses now, beside its limits.
     *
     * @param concurrentExecutions its executions running, as the executors last reported (every couple of seconds)
     */
    record Usage(long functions, long codeBytes, long invocationsThisSecond, long concurrentExecutions) {
    }

    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record Me(String tenant, String keyId, boolean admin, TenantLimits limits, Usage usage) {
    }

    @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @io.swagger.v3.oas.annotations.media.Content(
            schema = @io.swagger.v3.oas.annotations.media.Schema(example = "{\"id\": \"acme\"}")))
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<CreatedTenant>> create(@RequestBody(required = false) String body) {
        return Mono.fromCallable(() -> {
            var json = JsonBodies.parseObject(body);
            var id = json.path("id");
            if (!id.isString()) {
                throw ApiException.badRequest("id", "is required: the tenant's name, such as \"acme\"");
            }
            return new NewTenant(checkedId("id", id.asString()),
                    json.has("limits") ? defaults.with(json.get("limits")) : defaults);
        }).flatMap(tenant -> store.createTenant(tenant.id(), tenant.limits())
                .flatMap(created -> created ? newKey(tenant.id())
                        : Mono.error(new ApiException(HttpStatus.CONFLICT, "tenant " + tenant.id() + " exists, or did: "
                                + "ids are never given out again", List.of(new FieldError("id", "is taken")))))
                .flatMap(key -> store.tenant(tenant.id()).map(t -> ResponseEntity
                        .created(URI.create("/api/tenants/" + t.id()))
                        .body(new CreatedTenant(t.id(), t.createdAt(), t.limits(), key)))));
    }

    private record NewTenant(String id, TenantLimits limits) {
    }

    /**
     * Changes the tenant's limits: a number sets one, {@code null} removes it, a limit left out stays. Applies at
     * once on this gateway and within {@link Quotas#REMEMBERED} on the others.
     */
    @PutMapping(path = "/{id}/limits", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<TenantView> setLimits(@PathVariable String id, @RequestBody(required = false) String body) {
        return existing(id).flatMap(tenant -> {
            TenantLimits next = tenant.limits().with(JsonBodies.parseObject(body));
            return store.setLimits(tenant.id(), next).doOnNext(set -> quotas.forget(tenant.id()))
                    .then(store.tenant(tenant.id())).flatMap(this::view);
        });
    }

    @GetMapping
    Mono<List<TenantView>> list() {
        return store.tenants().concatMap(this::view).collectList();
    }

    @GetMapping("/me")
    Mono<Me> me(@AuthenticationPrincipal Caller caller) {
        if (caller.admin()) {
            return Mono.just(new Me(null, null, true, null, null));
        }
        return Mono.zip(quotas.limits(caller.tenant()), functions.countOwnedBy(caller.tenant()),
                        functions.codeBytesOwnedBy(caller.tenant()), quotas.usedThisSecond(caller.tenant()))
                .map(t -> new Me(caller.tenant(), caller.keyId(), false, t.getT1(),
                        new Usage(t.getT2(), t.getT3(), t.getT4(), running.running(caller.tenant(), Instant.now()))));
    }

    @GetMapping("/{id}")
    Mono<TenantView> get(@PathVariable String id) {
        return existing(id).flatMap(this::view);
    }

    /** A tenant that still owns functions is kept: deleting it must not leave code nobody can reach. */
    @DeleteMapping("/{id}")
    Mono<ResponseEntity<Void>> delete(@PathVariable String id) {
        return existing(id).flatMap(tenant -> {
            if (Caller.DEFAULT_TENANT.equals(tenant.id())) {
                return Mono.error(new ApiException(HttpStatus.CONFLICT, "the default tenant is the platform's own",
                        List.of(new FieldError("id", "is the default tenant"))));
            }
            return functions.countOwnedBy(tenant.id()).flatMap(n -> n > 0
                    ? Mono.error(new ApiException(HttpStatus.CONFLICT, "tenant " + tenant.id() + " still owns " + n
                            + " functions; delete them first", List.of(new FieldError("functions", "are " + n))))
                    : store.deleteTenant(tenant.id()).doOnNext(deleted -> keys.forgetStored()));
        }).thenReturn(ResponseEntity.noContent().build());
    }

    @PostMapping("/{id}/keys")
    Mono<ResponseEntity<NewKey>> addKey(@PathVariable String id) {
        return existing(id).flatMap(tenant -> newKey(tenant.id()))
                .map(key -> ResponseEntity.created(URI.create("/api/tenants/" + id + "/keys/" + key.id())).body(key));
    }

    @DeleteMapping("/{id}/keys/{keyId}")
    Mono<ResponseEntity<Void>> deleteKey(@PathVariable String id, @PathVariable String keyId) {
        if (!KEY_ID.matcher(keyId).matches()) {
            throw ApiException.badRequest("keyId", "must be a key's id, such as key_0123456789abcdef");
        }
        return existing(id).flatMap(tenant -> store.deleteKey(tenant.id(), keyId))
                .flatMap(deleted -> deleted ? Mono.fromRunnable(keys::forgetStored)
                        : Mono.error(ApiException.notFound("key " + keyId + " of tenant " + id)))
                .thenReturn(ResponseEntity.noContent().build());
    }

    private Mono<NewKey> newKey(String tenant) {
        String key = ApiKeys.newKey();
        return store.addKey(tenant, ApiKeys.newKeyId(), ApiKeys.hash(key),
                        ApiKeys.hash(ApiKeys.sessionToken(key)))
                .map(stored -> new NewKey(stored.id(), key, tenant, stored.createdAt()));
    }

    private Mono<TenantStore.Tenant> existing(String id) {
        return Mono.fromCallable(() -> checkedId("id", id)).flatMap(store::tenant)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("tenant " + id)));
    }

    private Mono<TenantView> view(TenantStore.Tenant tenant) {
        return store.keys(tenant.id()).map(k -> new KeyView(k.id(), k.createdAt())).collectList()
                .map(list -> new TenantView(tenant.id(), tenant.createdAt(), tenant.limits(), list));
    }

    static String checkedId(String field, String id) {
        if (!TENANT_ID.matcher(id).matches() || RESERVED.contains(id)) {
            throw ApiException.badRequest(field, "must be 2 to 40 of a-z, 0-9 and '-', starting with a letter and "
                    + "not ending with '-'" + (RESERVED.contains(id) ? " (and not 'me' nor 'admin')" : ""));
        }
        return id;
    }
}
