package dev.s3c.gateway.functions;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Every {@code s3c.gateway.definition-reconcile} (30 s): delivers to the definitions topic the function versions and
 * deletes a failed publish left undelivered, so executors learn of every change within about that long after Kafka
 * is back, without a gateway restart.
 */
@Component
class DefinitionReconciler {

    private static final Logger log = LoggerFactory.getLogger(DefinitionReconciler.class);

    private final FunctionService functions;

    DefinitionReconciler(FunctionService functions) {
        this.functions = functions;
    }

    @Scheduled(fixedDelayString = "${s3c.gateway.definition-reconcile:30s}",
            initialDelayString = "${s3c.gateway.definition-reconcile:30s}")
    void reconcile() {
        try {
            Long delivered = functions.reconcile().block(Duration.ofMinutes(1));
            if (delivered != null && delivered > 0) {
                log.info("Delivered {} function change(s) to the executors that a failed publish had left", delivered);
            }
        } catch (RuntimeException e) {
            log.debug("Delivering function changes failed; trying again later: {}", e.toString());
        }
    }
}
