package dev.s3c.executor.kafka;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.springframework.context.SmartLifecycle;

/**
 * A Kafka consumer loop on its own thread, started and stopped with the application. A KafkaConsumer is not
 * thread-safe: only {@link #loop()} touches it; {@link #stop()} only wakes it up.
 */
public abstract class ConsumerThread implements SmartLifecycle {

    private final String threadName;
    private volatile boolean running;
    private volatile KafkaConsumer<?, ?> consumer;
    private Thread thread;

    protected ConsumerThread(String threadName) {
        this.threadName = threadName;
    }

    /** Runs until {@link #running()} turns false; call {@link #wakeOnStop} with the consumer it polls. */
    protected abstract void loop();

    protected final void wakeOnStop(KafkaConsumer<?, ?> polled) {
        this.consumer = polled;
    }

    protected final boolean running() {
        return running;
    }

    @Override
    public void start() {
        running = true;
        thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        KafkaConsumer<?, ?> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
