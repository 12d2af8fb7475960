package dev.s3c.gateway.tenants;

import java.time.Duration;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * At start-up: the key indexes, and the default tenant, which the configured keys belong to (with no limits: it is
 * the platform's own; an admin may set some).
 */
@Component
class TenantBootstrap implements ApplicationRunner {

    private final TenantStore store;

    TenantBootstrap(TenantStore store) {
        this.store = store;
    }

    @Override
    public void run(ApplicationArguments args) {
        store.ensureIndexes().then(store.createTenant(Caller.DEFAULT_TENANT, TenantLimits.NONE)).block(Duration.ofMinutes(1));
    }
}
