package dev.s3c.monitor.live;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * How far what users can read trails what the executors finished, from the meters the execution recorder keeps
 * (Micrometer is the one source of these numbers): persistence lag percentiles over the last minutes, the recorder's
 * consumer lag, results stored so far.
 */
@Component
class PersistenceProbe {

    static final String LAG_TIMER = "s3c.monitor.persistence.lag";
    static final String STORED_COUNTER = "s3c.monitor.results.stored";
    static final String RECORDS_LAG_MAX = "kafka.consumer.fetch.manager.records.lag.max";
    static final String RECORDER_CLIENT = "s3c-monitor-executions";

    private final MeterRegistry meters;

    PersistenceProbe(MeterRegistry meters) {
        this.meters = meters;
    }

    /**
     * @param lagP50Ms from a result produced to it stored, median (null before the first)
     * @param lagP99Ms the same, 99th percentile
     * @param recorderLag the recorder's consumer lag: the most messages (requests, starts, results) waiting in any one
     *        partition it reads, from the Kafka consumers' records-lag-max
     * @param stored results stored since the monitor started
     */
    record Persistence(Double lagP50Ms, Double lagP99Ms, long recorderLag, long stored) {
    }

    Persistence current() {
        Double p50 = null;
        Double p99 = null;
        Timer lag = meters.find(LAG_TIMER).timer();
        if (lag != null && lag.count() > 0) {
            for (ValueAtPercentile v : lag.takeSnapshot().percentileValues()) {
                if (v.percentile() == 0.5) {
                    p50 = v.value(TimeUnit.MILLISECONDS);
                } else if (v.percentile() == 0.99) {
                    p99 = v.value(TimeUnit.MILLISECONDS);
                }
            }
        }
        long recorderLag = 0;
        for (Gauge g : meters.find(RECORDS_LAG_MAX).gauges()) {
            String client = g.getId().getTag("client.id");
            double value = g.value();
            if (client != null && client.startsWith(RECORDER_CLIENT) && !Double.isNaN(value)) {
                recorderLag = Math.max(recorderLag, (long) value);
            }
        }
        Counter stored = meters.find(STORED_COUNTER).counter();
        return new Persistence(p50, p99, recorderLag, stored == null ? 0 : (long) stored.count());
    }
}
