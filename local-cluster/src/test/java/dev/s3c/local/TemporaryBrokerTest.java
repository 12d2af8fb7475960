package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Memory mode's broker: the local run's own node on a temporary directory. It starts without a word on the console,
 * serves, and once stopped its log is gone, with no error or warning about that log on the way (Spring's test broker,
 * used before, printed its formatting and logged its checkpoint thread's failures at each stop).
 */
class TemporaryBrokerTest {

    @Test
    void startsQuietlyServesAndLeavesNothingBehindWhenStopped() throws Exception {
        PrintStream console = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PersistentBroker broker;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            broker = PersistentBroker.startTemporary(Map.of("auto.create.topics.enable", "false"));
        } finally {
            System.setOut(console);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("Formatting");
        Path logDir = broker.temporaryLogDir();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        try {
            assertThat(logDir.resolve("meta.properties")).exists();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()))) {
                admin.createTopics(List.of(new NewTopic("temporary-broker-test", 1, (short) 1))).all()
                        .get(30, TimeUnit.SECONDS);
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("temporary-broker-test");
            }
            lines.start();
            root.addAppender(lines);
        } finally {
            // stopped whatever failed above: a broker left running would outlive this test in the shared JVM
            try {
                broker.close();
            } finally {
                root.detachAppender(lines);
            }
        }

        assertThat(logDir).doesNotExist();
        String dir = logDir.toString();
        assertThat(lines.list.stream()
                .filter(line -> line.getLevel().isGreaterOrEqual(Level.WARN))
                .filter(line -> line.getFormattedMessage().contains(dir) || mentions(line.getThrowableProxy(), dir))
                .map(ILoggingEvent::getFormattedMessage))
                .as("warnings and errors about the broker's log while it stopped").isEmpty();
    }

    private static boolean mentions(IThrowableProxy thrown, String text) {
        for (IThrowableProxy t = thrown; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains(text)) {
                return true;
            }
        }
        return false;
    }
}
