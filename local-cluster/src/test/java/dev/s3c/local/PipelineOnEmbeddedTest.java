package dev.s3c.local;

/** The pipeline on the test JVM's embedded KRaft broker and an in-memory MongoDB-wire server. */
class PipelineOnEmbeddedTest extends PipelineContract {

    @Override
    LocalCluster startCluster() {
        // the one broker of this test JVM (surefire starts it); null starts one for this class. The pool stays at
        // its 3 instances: these tests share one cluster in any order, and one test's backlog made the scaler
        // shrink the pool and then grow it to 10 instances on 2 cores in the middle of the next (the hostile
        // functions' test then starved its well-behaved calls). Scaling has its own tests (ScalingOnEmbeddedTest).
        return LocalCluster.start(LocalCluster.Options.forTests(System.getProperty("spring.embedded.kafka.brokers"), null)
                .withServiceArgs("--s3c.scaler.min-instances=3", "--s3c.scaler.max-instances=3"));
    }
}
