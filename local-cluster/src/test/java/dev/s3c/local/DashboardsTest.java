package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DashboardsTest {

    @Test
    void metricNamesAreReadFromPromQlAndNotItsFunctionsOrLabels() {
        assertThat(Dashboards.metricNames(
                "histogram_quantile(0.95, sum by (le) (rate(s3c_executor_queue_wait_seconds_bucket{function=\"$function\"}[1m])))"))
                .containsExactly("s3c_executor_queue_wait_seconds_bucket");
        assertThat(Dashboards.metricNames("sum(rate(a_total{result=\"miss\"}[5m])) / sum(rate(b_total[5m]))"))
                .containsExactly("a_total", "b_total");
        assertThat(Dashboards.metricNames("label_values(s3c_executor_invocations_total, function)"))
                .containsExactly("s3c_executor_invocations_total");
        assertThat(Dashboards.metricNames("max by (client_id) (kafka_consumer_fetch_manager_records_lag_max)"))
                .containsExactly("kafka_consumer_fetch_manager_records_lag_max");
    }
}
