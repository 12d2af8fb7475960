package dev.s3c.gateway.keys;

import dev.s3c.gateway.GatewayProperties;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The keys this gateway accepts ({@code s3c.gateway.api-keys}, {@code S3C_API_KEY}: comma-separated, so a new key
 * can be rolled out before the old one is removed). Held as SHA-256 hashes only; every key belongs to the default
 * tenant until tenants exist.
 */
@Component
public class ApiKeys {

    /** The tenant of every configured key. */
    public static final String DEFAULT_TENANT = "default";
    private static final String PREFIX = "s3c_";
    private static final String SESSION_PREFIX = "s3cs_";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

    private final Map<String, String> tenantByHash;
    private final Map<String, String> tenantBySession;

    @Autowired
    ApiKeys(GatewayProperties properties) {
        this(properties.apiKeys());
    }

    ApiKeys(List<String> keys) {
        this.tenantByHash = keys.stream().map(ApiKeys::hash)
                .collect(Collectors.toUnmodifiableMap(Function.identity(), h -> DEFAULT_TENANT, (a, b) -> a));
        this.tenantBySession = keys.stream().map(ApiKeys::sessionToken)
                .collect(Collectors.toUnmodifiableMap(Function.identity(), h -> DEFAULT_TENANT, (a, b) -> a));
        if (tenantByHash.isEmpty()) {
            log.warn("No API key is configured (S3C_API_KEY): every API call will be refused with 401");
        }
    }

    /** A new key: 256 random bits, recognisable by its prefix in logs and secret scanners. */
    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The tenant the key belongs to; empty for a key that is not one. */
    Optional<String> tenantOf(String key) {
        return key == null || key.isEmpty() ? Optional.empty() : Optional.ofNullable(tenantByHash.get(hash(key)));
    }

    /**
     * What the console's cookie holds for a key: derived from it, so the key itself never sits in a cookie (browsers
     * send a host's cookies to all its ports), and useless as a bearer key.
     */
    static String sessionToken(String key) {
        return SESSION_PREFIX + hash(SESSION_PREFIX + key);
    }

    /** The tenant a console session token stands for; empty for one that is not. */
    Optional<String> tenantOfSession(String token) {
        return token == null || token.isEmpty() ? Optional.empty() : Optional.ofNullable(tenantBySession.get(token));
    }

    static String hash(String key) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
