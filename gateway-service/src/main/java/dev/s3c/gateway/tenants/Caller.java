package dev.s3c.gateway.tenants;

import org.springframework.security.core.AuthenticatedPrincipal;

/**
 * Who made a call, from the key it presented: a tenant's key (everything it reads or changes is that tenant's) or an
 * admin key (it manages tenants and their keys, and nothing else).
 *
 * @param tenant the tenant; null for an admin key
 * @param keyId the stored key's id; null for a key given in the configuration
 * @param admin an admin key: said outright, never taken from a missing tenant
 */
public record Caller(String tenant, String keyId, boolean admin) implements AuthenticatedPrincipal {

    public Caller {
        if (admin == (tenant != null)) {
            throw new IllegalArgumentException("a caller is either an admin or a tenant's");
        }
    }

    /** A tenant's key. */
    public Caller(String tenant, String keyId) {
        this(java.util.Objects.requireNonNull(tenant, "tenant"), keyId, false);
    }

    /** The tenant every configured key ({@code S3C_API_KEY}) belongs to; the local run's own. */
    public static final String DEFAULT_TENANT = "default";
    /** Any admin key. */
    public static final Caller ADMIN = new Caller(null, null, true);

    /** Whether what belongs to {@code owner} is this caller's: a stored thing with no owner is the default tenant's. */
    public boolean owns(String owner) {
        return tenant != null && tenant.equals(owner == null ? DEFAULT_TENANT : owner);
    }

    @Override
    public String getName() {
        return admin() ? "admin" : tenant;
    }
}
