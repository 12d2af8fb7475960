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
    void aHeadThatTakesNoHtmlIsNotTheConsolesAsItsGetIsNot() {
        // Boot's welcome page answers GET / only to requests that accept HTML
        client.head().uri("/").accept(MediaType.APPLICATION_JSON).exchange().expectStatus().isNotFound();
        client.head().uri("/").accept(MediaType.ALL).exchange().expectStatus().isOk();
    }
}
