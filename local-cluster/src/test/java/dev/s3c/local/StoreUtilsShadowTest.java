package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import de.bwaldvogel.mongo.backend.AbstractMongoCollection;
import de.bwaldvogel.mongo.backend.Utils;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The local run's copy of mongo-java-server's {@link Utils} (see its header): the one the store loads, a copy of the
 * library version on the class path, and splitting paths as the library did.
 */
class StoreUtilsShadowTest {

    private static final Pattern LIBRARY_SPLIT = Pattern.compile(Pattern.quote("."));

    private static List<String> librarySplit(String input) {
        return LIBRARY_SPLIT.splitAsStream(input).collect(Collectors.toList());
    }

    @Test
    void splitsEveryPathAsTheLibraryDid() {
        // every string of up to 8 characters over "a", "." and "b": empty fragments first, between, last, and alone
        List<String> inputs = new ArrayList<>(List.of(""));
        for (int from = 0, length = 1; length <= 8; length++) {
            int to = inputs.size();
            for (int i = from; i < to; i++) {
                for (String c : List.of("a", ".", "b")) {
                    inputs.add(inputs.get(i) + c);
                }
            }
            from = to;
        }
        inputs.addAll(List.of("history.0.error", "timeline.$[entry].at", "ü.日本.😀", " . ", "a.b.c.d.e.f.g.h.i"));
        for (String input : inputs) {
            assertThat(Utils.splitPath(input)).as("splitPath(\"%s\")", input).isEqualTo(librarySplit(input));
        }
        assertThat(inputs).hasSize(9_846);
    }

    @Test
    void returnsAListItsCallerMayChangeAsTheLibraryDid() {
        List<String> fragments = Utils.splitPath("a.b");
        fragments.add("c");
        fragments.removeFirst();
        assertThat(fragments).containsExactly("b", "c");
        List<String> none = Utils.splitPath("..");
        none.add("x");
        assertThat(none).containsExactly("x");
    }

    @Test
    void isTheUtilsTheStoreLoadsAndACopyOfTheLibraryVersionOnTheClassPath() {
        String loadedFrom = Utils.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(loadedFrom).isEqualTo(LocalClusterMain.class.getProtectionDomain().getCodeSource().getLocation()
                .toString());

        // the library's jar names its version (its manifest does not)
        String library = AbstractMongoCollection.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(library)
                .as("local-cluster's de.bwaldvogel.mongo.backend.Utils is 1.47.0's with its own splitPath: copy the new"
                        + " version's Utils and change splitPath again")
                .endsWith("/mongo-java-server-core-1.47.0.jar");
    }
}
