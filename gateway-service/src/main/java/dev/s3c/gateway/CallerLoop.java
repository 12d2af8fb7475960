package dev.s3c.gateway;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.stereotype.Component;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

/**
 * Where work that continues a caller's request goes back to: the web server's event loop the caller was on, when it
 * was on one. Its HTTP answer is written by that loop anyway, so going back there is the one thread hop the answer
 * needs; a worker thread in between was a second hop and a second wake-up for every call.
 */
@Component
public class CallerLoop {

    /** Finds the web server's event loops; null while there are none (not started, or a test without a server). */
    private final Supplier<EventLoopGroup> serverLoops;
    /** The loops once found: looked up once, never again while the context stops. */
    private volatile EventLoopGroup found;

    @Autowired
    CallerLoop(ObjectProvider<ReactorResourceFactory> resources) {
        this(() -> {
            ReactorResourceFactory factory = resources.getIfAvailable();
            // the loops Boot's Reactor Netty server runs on (its own or the global ones)
            return factory == null || !factory.isRunning() ? null
                    : factory.getLoopResources().onServer(LoopResources.DEFAULT_NATIVE);
        });
    }

    public CallerLoop(Supplier<EventLoopGroup> serverLoops) {
        this.serverLoops = serverLoops;
    }

    /** The web server's event loop that is the current thread, or null when the current thread is not one. */
    EventExecutor currentLoop() {
        EventLoopGroup loops = found;
        if (loops == null) {
            loops = serverLoops.get();
            found = loops;
        }
        if (loops != null) {
            for (EventExecutor loop : loops) {
                if (loop.inEventLoop()) {
                    return loop;
                }
            }
        }
        return null;
    }

    /**
     * The current thread's event loop (see {@link #currentLoop}), or {@code otherwise} when the current thread is
     * not one. Tasks the loop refuses (it is shutting down) run on {@code otherwise}.
     */
    public Executor current(Executor otherwise) {
        EventExecutor loop = currentLoop();
        return loop == null ? otherwise : backTo(loop, otherwise);
    }

    /** A scheduler on {@code loop} (see {@link #currentLoop}), or {@code otherwise} when it is null. */
    static Scheduler backTo(EventExecutor loop, Scheduler otherwise) {
        return loop == null ? otherwise : Schedulers.fromExecutor(backTo(loop, otherwise::schedule));
    }

    private static Executor backTo(EventExecutor loop, Executor otherwise) {
        return task -> {
            try {
                loop.execute(task);
            } catch (RejectedExecutionException e) {
                otherwise.execute(task);
            }
        };
    }
}
