package dev.s3c.executor.runtime;

import com.oracle.truffle.api.instrumentation.TruffleInstrument;
import com.oracle.truffle.api.instrumentation.provider.TruffleInstrumentProvider;
import java.util.Collection;
import java.util.List;
import org.graalvm.polyglot.SandboxPolicy;

/**
 * Registers {@link HeapMeter} with Truffle (found through {@code META-INF/services}). Truffle's annotation processor
 * writes this class from a {@code @Registration} on the instrument; it is not served to this build, and the provider
 * is this much: the registration Truffle reads, and a factory.
 */
@TruffleInstrument.Registration(id = HeapMeter.ID, name = "S3C heap meter", internal = false,
        sandbox = SandboxPolicy.CONSTRAINED, services = HeapMeter.class)
public final class HeapMeterProvider extends TruffleInstrumentProvider {

    @Override
    protected String getInstrumentClassName() {
        return HeapMeter.class.getName();
    }

    @Override
    protected Object create() {
        return new HeapMeter();
    }

    @Override
    protected Collection<String> getServicesClassNames() {
        return List.of(HeapMeter.class.getName());
    }
}
