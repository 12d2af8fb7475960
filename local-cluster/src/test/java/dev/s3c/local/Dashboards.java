package dev.s3c.local;

import dev.s3c.contracts.JsonCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/** The repository's provisioned Grafana dashboards, read as files, and the metric names their queries use. */
final class Dashboards {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> PROMQL = Set.of("sum", "rate", "increase", "max", "min", "avg", "count",
            "histogram_quantile", "by", "without", "label_values", "irate", "delta", "abs", "clamp_min", "topk",
            "and", "or", "unless", "on", "ignoring");

    private Dashboards() {
    }

    /** The repository root: the folder with docker-compose.yml, above the module the tests run in. */
    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("docker-compose.yml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no docker-compose.yml above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    static Path folder() {
        return repositoryRoot().resolve("infra/grafana/provisioning/dashboards/json");
    }

    static Stream<Path> files() {
        try {
            return Files.list(folder()).filter(p -> p.toString().endsWith(".json")).sorted();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode read(Path file) {
        try {
            return JsonCodec.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every metric name a panel or a template variable of the dashboard queries. */
    static Set<String> metricNames(JsonNode dashboard) {
        Set<String> names = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                names.addAll(metricNames(target.get("expr").asString()));
            }
        }
        for (JsonNode variable : dashboard.get("templating").get("list")) {
            names.addAll(metricNames(variable.get("definition").asString()));
        }
        return names;
    }

    /** The metric names in one PromQL expression (or a Grafana label_values query). */
    static Set<String> metricNames(String expr) {
        String bare = expr
                .replaceAll("\\{[^}]*}", " ")              // label matchers
                .replaceAll("\\[[^]]*]", " ")              // range selectors
                .replaceAll("(by|without)\\s*\\([^)]*\\)", " ") // grouping labels
                .replaceAll("label_values\\(([^,)]+),[^)]*\\)", "$1"); // its second argument is a label
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(bare);
        while (m.find()) {
            String token = m.group();
            int end = m.end();
            boolean call = end < bare.length() && bare.charAt(end) == '(';
            if (!PROMQL.contains(token) && !call && !token.matches("\\d.*")) {
                names.add(token);
            }
        }
        return names;
    }
}
