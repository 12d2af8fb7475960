package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

class ConsoleIndexHeadTest {

    private final WebTestClient client = WebTestClient.bindToRouterFunction(new ConsoleIndexHead().headOfTheConsolePage())
            .build();

    @Test
    void headOfTheRootAnswersAsTheConsolePageWithoutItsBody() throws Exception {
        long size = ConsoleIndexHead.INDEX.contentLength();
        assertThat(size).isPositive();
        byte[] body = client.head().uri("/").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectHeader().contentLength(size)
                .expectBody().returnResult().getResponseBody();
        assertThat(body).isNullOrEmpty();
    }

    @Test
    void itTakesOnlyHeadOfTheRoot() {
        // GET / stays Boot's welcome page; other paths are the static files' own
        client.get().uri("/").exchange().expectStatus().isNotFound();
        client.head().uri("/index.html").exchange().expectStatus().isNotFound();
    }
}
