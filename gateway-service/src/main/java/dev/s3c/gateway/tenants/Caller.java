package dev.s3c.gateway.tenants;

import org.springframework.security.core.AuthenticatedPrincipal;

/**
 * Who made a call, from the key it presented: a tenant's key (everything it reads or changes is that tenant's) or an
 * admin key (it manages tenants and their keys, and nothing else).
 *
 * @param tenant the tenant; null for an admin key
 * @param keyId the stored key's id; null for a key given in the configuration
 */
public record Caller(String tenant, String keyId) implements AuthenticatedPrincipal {

    /** The tenant every configured key ({@code S3C_API_KEY}) belongs to; the local run's own. */
    public static final String DEFAULT_TENANT = "default";
    /** Any admin key. */
    public static final Caller ADMIN = new Caller(null, null);

    public boolean admin() {
        return tenant == null;
    }

    /** Whether what belongs to {@code owner} is this caller's: a stored thing with no owner is the default tenant's. */
    public boolean owns(String owner) {
        return tenant != null && tenant.equals(owner == null ? DEFAULT_TENANT : owner);
    }

    @Override
    public String getName() {
        return admin() ? "admin" : tenant;
    }
}
