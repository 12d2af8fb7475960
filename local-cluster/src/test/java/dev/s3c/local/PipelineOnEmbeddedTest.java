package dev.s3c.local;

/** The pipeline on the test JVM's embedded KRaft broker and an in-memory MongoDB-wire server. */
class PipelineOnEmbeddedTest extends PipelineContract {

    @Override
    LocalCluster startCluster() {
        // the one broker of this test JVM (surefire starts it); null starts one for this class
        return LocalCluster.start(LocalCluster.Options.forTests(System.getProperty("spring.embedded.kafka.brokers"), null));
    }
}
