package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml cannot run here (no Docker engine), so it is read against what the services, Prometheus and
 * Grafana actually expect: service names, ports, environment names, mounted files, health checks and start order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComposeFileTest {

    /** The four services built from this repository, each with its config file and port. */
    private static final Map<String, String> APPS = Map.of(
            "gateway-service", "gateway", "executor-service", "executor",
            "monitor-service", "monitor", "scaler-service", "scaler");

    private Path root;
    private Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    void read() throws IOException {
        root = Dashboards.repositoryRoot();
        Map<String, Object> compose = new Yaml().load(Files.readString(root.resolve("docker-compose.yml")));
        services = (Map<String, Map<String, Object>>) compose.get("services");
    }

    @Test
    void runsTheWholeSystemOnPinnedImages() {
        assertThat(services).containsOnlyKeys("kafka", "mongo", "prometheus", "grafana", "gateway-service",
                "executor-service", "monitor-service", "scaler-service");
        for (String name : List.of("kafka", "mongo", "prometheus", "grafana")) {
            String image = (String) services.get(name).get("image");
            assertThat(image).as(name).matches("[a-z0-9./-]+:v?[0-9][0-9.]*").doesNotEndWith(":latest");
        }
        assertThat(services.get("mongo").get("command").toString()).contains("--replSet", "rs0");
        assertThat(env("kafka")).containsEntry("KAFKA_PROCESS_ROLES", "broker,controller")
                .containsEntry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                // the scaler runs exactly-once: its transactions need a log that fits on one broker
                .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", 1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachServiceIsBuiltFromItsModuleAndListensWhereItsConfigSays() throws IOException {
        for (var app : APPS.entrySet()) {
            Map<String, Object> service = services.get(app.getKey());
            Map<String, Object> build = (Map<String, Object>) service.get("build");
            assertThat(((Map<String, Object>) build.get("args")).get("SERVICE")).isEqualTo(app.getKey());
            assertThat(root.resolve(app.getKey()).resolve("pom.xml")).exists();

            String config = config(app.getKey(), app.getValue());
            Matcher port = Pattern.compile("port: \\$\\{([A-Z_]+):(\\d+)}").matcher(config);
            assertThat(port.find()).as("server.port of %s", app.getKey()).isTrue();
            int expected = Integer.parseInt(port.group(2));
            assertThat(env(app.getKey())).as(app.getKey()).containsEntry(port.group(1), expected);
            if (app.getKey().equals("gateway-service")) {
                // the gateway is the way in (its API needs a key); its actuator has a port of its own, published on
                // this host only, as the other services are
                Matcher management = Pattern.compile("management:\\s+server:(?:\\s+#[^\\n]*)*\\s+port: \\$\\{"
                        + "([A-Z_]+):(\\d+)}").matcher(config);
                assertThat(management.find()).as("management.server.port of the gateway").isTrue();
                int actuator = Integer.parseInt(management.group(2));
                assertThat(env(app.getKey())).containsEntry(management.group(1), actuator);
                assertThat(actuator).isNotEqualTo(expected);
                assertThat((List<String>) service.get("ports")).containsExactly(expected + ":" + expected,
                        "127.0.0.1:" + actuator + ":" + actuator);
            } else {
                assertThat((List<String>) service.get("ports")).containsExactly(
                        "127.0.0.1:" + expected + ":" + expected);
            }
        }
    }

    @Test
    void everyEnvironmentNameIsOneTheServiceReads() throws IOException {
        String dockerfile = Files.readString(root.resolve("Dockerfile"));
        for (var app : APPS.entrySet()) {
            String config = config(app.getKey(), app.getValue());
            for (String name : env(app.getKey()).keySet()) {
                if (name.equals("JAVA_OPTS")) {
                    assertThat(dockerfile).contains("$JAVA_OPTS");
                } else {
                    assertThat(config).as("%s reads %s", app.getKey(), name).contains("${" + name + ":");
                }
            }
            assertThat(env(app.getKey()).get("KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("kafka:9092");
        }
        assertThat(env("kafka").get("KAFKA_ADVERTISED_LISTENERS").toString()).contains("kafka:9092");
        for (String reader : List.of("gateway-service", "monitor-service")) {
            assertThat(env(reader).get("MONGODB_URI").toString()).startsWith("mongodb://mongo:27017/")
                    .contains("replicaSet=rs0");
        }
    }

    @Test
    void servicesRunAsAnAccountThatIsNotRoot() throws IOException {
        List<String> users = Files.readAllLines(root.resolve("Dockerfile")).stream()
                .filter(line -> line.startsWith("USER ")).map(line -> line.substring(5).strip()).toList();
        // the last USER is the one the entry point runs as
        assertThat(users).isNotEmpty();
        assertThat(users.getLast()).isNotIn("root", "0");
        assertThat(dockerfile()).contains("useradd --system --uid " + users.getLast());
    }

    @Test
    @SuppressWarnings("unchecked")
    void startsInOrderWithHealthChecks() {
        for (String name : List.of("kafka", "mongo", "gateway-service", "executor-service", "monitor-service",
                "scaler-service")) {
            assertThat(services.get(name)).as(name).containsKey("healthcheck");
        }
        for (String app : APPS.keySet()) {
            // the probe must exist in the image the Dockerfile builds
            String probe = ((Map<String, Object>) services.get(app).get("healthcheck")).get("test").toString();
            assertThat(probe).contains("curl -fs http://localhost:" + actuatorPort(app) + "/actuator/health");
            assertThat(dockerfile()).containsPattern("apt-get install [^\\n]*curl");
        }
        for (String app : APPS.keySet()) {
            Map<String, Map<String, String>> dependsOn = (Map<String, Map<String, String>>) services.get(app)
                    .get("depends_on");
            assertThat(dependsOn.get("kafka")).as(app).containsEntry("condition", "service_healthy");
        }
        for (String writer : List.of("gateway-service", "monitor-service")) {
            Map<String, Map<String, String>> dependsOn = (Map<String, Map<String, String>>) services.get(writer)
                    .get("depends_on");
            assertThat(dependsOn.get("mongo")).as(writer).containsEntry("condition", "service_healthy");
        }
        assertThat((List<String>) services.get("prometheus").get("depends_on")).containsAll(APPS.keySet());
        assertThat((List<String>) services.get("grafana").get("depends_on")).contains("prometheus");
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesEveryServiceAndGrafanaGetsItsProvisioning() throws IOException {
        for (String name : List.of("prometheus", "grafana")) {
            for (String volume : (List<String>) services.get(name).get("volumes")) {
                assertThat(root.resolve(volume.split(":")[0])).as(volume).exists();
            }
        }
        Map<String, Object> prometheus = new Yaml().load(Files.readString(root.resolve("infra/prometheus/prometheus.yml")));
        Map<String, Object> job = ((List<Map<String, Object>>) prometheus.get("scrape_configs")).getFirst();
        assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
        List<String> targets = (List<String>) ((List<Map<String, Object>>) job.get("static_configs")).getFirst()
                .get("targets");
        for (String app : APPS.keySet()) {
            assertThat(targets).contains(app + ":" + actuatorPort(app));
        }

        Path provisioning = root.resolve("infra/grafana/provisioning");
        String mount = ((List<String>) services.get("grafana").get("volumes")).getFirst();
        assertThat(mount).startsWith("./infra/grafana/provisioning:/etc/grafana/provisioning");
        assertThat(Files.readString(provisioning.resolve("datasources/prometheus.yml")))
                .contains("url: http://prometheus:9090").contains("uid: prometheus");
        assertThat((List<String>) services.get("prometheus").get("ports")).contains("9090:9090");
        // the dashboards provider reads, inside the container, the folder the mount puts the JSON files in
        Map<String, Object> dashboards = new Yaml().load(Files.readString(provisioning.resolve("dashboards/s3c.yml")));
        String path = (String) ((Map<String, Object>) ((List<Map<String, Object>>) dashboards.get("providers"))
                .getFirst().get("options")).get("path");
        assertThat(path).startsWith("/etc/grafana/provisioning/");
        Path local = provisioning.resolve(path.substring("/etc/grafana/provisioning/".length()));
        assertThat(Dashboards.files()).isNotEmpty().allSatisfy(f -> assertThat(f.getParent()).isEqualTo(local));
        // every panel queries the provisioned datasource
        Dashboards.files().map(Dashboards::read).forEach(d -> d.get("panels").forEach(p ->
                assertThat(p.get("datasource").get("uid").asString()).isEqualTo("prometheus")));
    }

    /** Where a service's actuator listens: the gateway's management port, the others' only port. */
    @SuppressWarnings("unchecked")
    private int actuatorPort(String service) {
        Object management = env(service).get("MANAGEMENT_PORT");
        if (management != null) {
            return Integer.parseInt(management.toString());
        }
        List<String> ports = (List<String>) services.get(service).get("ports");
        String[] parts = ports.getFirst().split(":");
        return Integer.parseInt(parts[parts.length - 1]);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> env(String service) {
        return (Map<String, Object>) services.get(service).get("environment");
    }

    private String dockerfile() {
        try {
            return Files.readString(root.resolve("Dockerfile"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String config(String module, String name) throws IOException {
        return Files.readString(root.resolve(module).resolve("src/main/resources").resolve(name + ".yml"));
    }
}
