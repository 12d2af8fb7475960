package dev.s3c.gateway.keys;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.TenantStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Which caller a key stands for. Keys given in the configuration come first: {@code s3c.gateway.api-keys}
 * ({@code S3C_API_KEY}) are the default tenant's and {@code s3c.gateway.admin-keys} ({@code S3C_ADMIN_KEY}) manage
 * tenants, both comma-separated so a new key can be rolled out before the old one goes. Then the keys stored for
 * tenants, looked up by their hash and remembered for {@link #REMEMBERED}: a deleted key stops working on this
 * gateway at once and on others within that time. Keys are held as SHA-256 hashes only.
 */
@Component
public class ApiKeys {

    /** The tenant of every configured key. */
    public static final String DEFAULT_TENANT = Caller.DEFAULT_TENANT;
    /** Shortest configured key: anything shorter is guessable. */
    static final int MIN_LENGTH = 16;
    static final Duration REMEMBERED = Duration.ofSeconds(10);
    private static final String PREFIX = "s3c_";
    private static final String SESSION_PREFIX = "s3cs_";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

    private final Map<String, Caller> configuredByHash = new HashMap<>();
    private final Map<String, Caller> configuredBySession = new HashMap<>();
    private final TenantStore store;
    private final AsyncCache<String, Optional<Caller>> stored = Caffeine.newBuilder()
            .expireAfterWrite(REMEMBERED).maximumSize(10_000).buildAsync();

    @Autowired
    ApiKeys(GatewayProperties properties, TenantStore store) {
        this(properties.apiKeys(), properties.adminKeys(), store);
    }

    ApiKeys(List<String> tenantKeys, List<String> adminKeys, TenantStore store) {
        this.store = store;
        configure(tenantKeys, new Caller(DEFAULT_TENANT, null), "s3c.gateway.api-keys (S3C_API_KEY)");
        configure(adminKeys, Caller.ADMIN, "s3c.gateway.admin-keys (S3C_ADMIN_KEY)");
        if (tenantKeys.isEmpty()) {
            log.warn("No API key is configured (S3C_API_KEY): only keys stored for tenants will be accepted");
        }
    }

    private void configure(List<String> keys, Caller caller, String setting) {
        for (String key : keys) {
            if (key.length() < MIN_LENGTH) {
                throw new IllegalArgumentException("a key in " + setting + " is shorter than " + MIN_LENGTH
                        + " characters: make one with 'openssl rand -base64 32'");
            }
            configuredByHash.putIfAbsent(hash(key), caller);
            configuredBySession.putIfAbsent(hash(sessionToken(key)), caller);
        }
    }

    /** A new key: 256 random bits, recognisable by its prefix in logs and secret scanners. */
    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A stored key's public name: 64 random bits, shown in listings and used to delete the key. */
    public static String newKeyId() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return "key_" + HexFormat.of().formatHex(bytes);
    }

    /** The caller the key stands for; empty for a key that is not one. */
    public Mono<Caller> callerOf(String key) {
        if (key == null || key.isEmpty()) {
            return Mono.empty();
        }
        String hash = hash(key);
        Caller configured = configuredByHash.get(hash);
        return configured != null ? Mono.just(configured) : remembered("k" + hash, () -> store.byKeyHash(hash));
    }

    /**
     * Whether the text may be a key or console session token of this platform, decided without the store: a
     * configured one, or the shape every stored one has ({@value #PREFIX}, {@value #SESSION_PREFIX}). A function
     * URL's callers may send tokens of their own, and such text is kept from the function; asking the store about
     * each would let one request cost as many reads as it has tokens.
     */
    public boolean mayBeKey(String text) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        if (text.startsWith(PREFIX) || text.startsWith(SESSION_PREFIX)) {
            return true;
        }
        String hash = hash(text);
        return configuredByHash.containsKey(hash) || configuredBySession.containsKey(hash);
    }

    /** The caller a console session token stands for; empty for one that is not. */
    Mono<Caller> callerOfSession(String token) {
        if (token == null || token.isEmpty()) {
            return Mono.empty();
        }
        String hash = hash(token);
        Caller configured = configuredBySession.get(hash);
        return configured != null ? Mono.just(configured) : remembered("s" + hash, () -> store.bySessionHash(hash));
    }

    private Mono<Caller> remembered(String cacheKey, java.util.function.Supplier<Mono<Caller>> lookup) {
        // a caller that goes away must not cancel the lookup others wait on too
        return Mono.fromFuture(() -> stored.get(cacheKey, (k, executor) -> lookup.get().map(Optional::of)
                        .defaultIfEmpty(Optional.empty()).toFuture()), true)
                .flatMap(Mono::justOrEmpty);
    }

    /** After a key or tenant was deleted: this gateway stops accepting it at once. */
    public void forgetStored() {
        stored.synchronous().invalidateAll();
    }

    /**
     * What the console's cookie holds for a key: derived from it, so the key itself never sits in a cookie (browsers
     * send a host's cookies to all its ports), and useless as a bearer key.
     */
    public static String sessionToken(String key) {
        return SESSION_PREFIX + hash(SESSION_PREFIX + key);
    }

    public static String hash(String key) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
