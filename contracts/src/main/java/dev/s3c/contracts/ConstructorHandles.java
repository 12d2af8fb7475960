package dev.s3c.contracts;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.deser.ValueInstantiator;
import tools.jackson.databind.deser.ValueInstantiators;
import tools.jackson.databind.deser.std.StdValueInstantiator;
import tools.jackson.databind.introspect.AnnotatedConstructor;
import tools.jackson.databind.module.SimpleModule;

/**
 * Builds records (and other classes read through a constructor with properties) by a method handle made once per
 * type. Jackson 3 (up to 3.3.0) calls such a constructor with {@code MethodHandle.invokeWithArguments}, which adapts
 * the handle anew on every call: 2% of the whole platform's CPU under load, in every reader of the messages.
 * Everything else, the errors included, stays Jackson's.
 */
final class ConstructorHandles extends SimpleModule {

    ConstructorHandles() {
        super("s3c-constructor-handles");
    }

    @Override
    public void setupModule(SetupContext context) {
        super.setupModule(context);
        context.addValueInstantiators(new ValueInstantiators.Base() {
            @Override
            public ValueInstantiator modifyValueInstantiator(DeserializationConfig config,
                    BeanDescription.Supplier description, ValueInstantiator instantiator) {
                return withHandle(instantiator);
            }
        });
    }

    /** The instantiator with a handle for its constructor, or as it is where it is not Jackson's plain one. */
    static ValueInstantiator withHandle(ValueInstantiator instantiator) {
        if (instantiator.getClass() != StdValueInstantiator.class
                || !(((StdValueInstantiator) instantiator).getWithArgsCreator() instanceof AnnotatedConstructor creator)) {
            return instantiator;
        }
        Constructor<?> constructor = creator.getAnnotated();
        try {
            constructor.trySetAccessible();
            // fixed arity, as Jackson's own handle: a varargs constructor gets its array as one argument
            MethodHandle handle = MethodHandles.lookup().unreflectConstructor(constructor).asFixedArity()
                    .asSpreader(Object[].class, constructor.getParameterCount())
                    .asType(MethodType.methodType(Object.class, Object[].class));
            return new Handled((StdValueInstantiator) instantiator, handle);
        } catch (IllegalAccessException | RuntimeException e) {
            // a constructor this module may not call: Jackson's own way still can
            return instantiator;
        }
    }

    static final class Handled extends StdValueInstantiator {

        private final MethodHandle constructor;

        Handled(StdValueInstantiator source, MethodHandle constructor) {
            super(source);
            this.constructor = constructor;
        }

        @Override
        public Object createFromObjectWith(DeserializationContext context, Object[] args) throws JacksonException {
            try {
                return (Object) constructor.invokeExact(args);
            } catch (Error e) {
                throw e;
            } catch (Throwable e) {
                // as Jackson reports a constructor that threw (a record's check of its fields)
                return context.handleInstantiationProblem(_valueClass, args, rewrapCtorProblem(context, e));
            }
        }
    }
}
