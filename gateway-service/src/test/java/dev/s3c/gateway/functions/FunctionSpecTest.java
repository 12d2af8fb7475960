package dev.s3c.gateway.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class FunctionSpecTest {

    private static FunctionSpec create(String json) {
        return FunctionSpec.parse(JsonCodec.readTree(json), true, 256 * 1024);
    }

    private static ApiException refused(String json, boolean creating) {
        return catchThrowableOfType(ApiException.class,
                () -> FunctionSpec.parse(JsonCodec.readTree(json), creating, 256 * 1024));
    }

    @Test
    void acceptsAFullFunction() {
        FunctionSpec spec = create("{\"name\":\" fib \",\"description\":\"d\",\"code\":\"return 1;\","
                + "\"config\":{\"timeoutMs\":100,\"retryCount\":10},\"status\":\"inactive\"}");
        assertThat(spec.name()).isEqualTo("fib");
        assertThat(spec.timeoutMs()).isEqualTo(100);
        assertThat(spec.retryCount()).isEqualTo(10);
        assertThat(spec.status()).isEqualTo(FunctionStatus.INACTIVE);
    }

    @Test
    void aNoteSaysWhatTheVersionChangesWithinTwoHundredCharacters() {
        assertThat(create("{\"name\":\"n\",\"code\":\"return 1;\",\"note\":\" first cut \"}").note())
                .isEqualTo("first cut");
        assertThat(create("{\"name\":\"n\",\"code\":\"return 1;\",\"note\":\"  \"}").note()).isNull();
        assertThat(create("{\"name\":\"n\",\"code\":\"return 1;\"}").note()).isNull();
        assertThat(refused("{\"note\":\"" + "x".repeat(201) + "\"}", false).errors()).extracting(FieldError::field)
                .containsExactly("note");
        assertThat(refused("{\"note\":7}", false).errors()).extracting(FieldError::field).containsExactly("note");
    }

    @Test
    void reportsEveryBadFieldAtOnce() {
        ApiException e = refused("{\"name\":\"\",\"code\":7,\"config\":{\"timeoutMs\":300001,\"retryCount\":-1},"
                + "\"status\":\"paused\"}", true);
        assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(e.errors()).extracting(FieldError::field)
                .containsExactly("name", "code", "config.timeoutMs", "config.retryCount", "status");
    }

    @Test
    void aFunctionUrlIsPublicKeyedOffOrLeftAsItWas() {
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"http\":\"public\"}}").http())
                .isEqualTo("public");
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"http\":\"key\"}}").http())
                .isEqualTo("key");
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"http\":\"off\"}}").http())
                .isEqualTo(FunctionSpec.HTTP_OFF);
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"http\":null}}").http())
                .isEqualTo(FunctionSpec.HTTP_OFF);
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{}}").http()).isNull();
        for (String bad : new String[] {"\"open\"", "true", "\"PUBLIC\"", "{}"}) {
            ApiException e = refused("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"http\":" + bad + "}}",
                    true);
            assertThat(e.errors()).as(bad).extracting(FieldError::field).containsExactly("config.http");
        }
    }

    @Test
    void aScheduleIsCheckedAndRemovedByNullOrBlank() {
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"schedule\":\" */5 * * * * \"}}")
                .schedule()).isEqualTo("*/5 * * * *");
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"schedule\":\"@every 30s\"}}")
                .schedule()).isEqualTo("@every 30s");
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"schedule\":null}}").schedule())
                .isEqualTo(FunctionSpec.SCHEDULE_OFF);
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"schedule\":\" \"}}").schedule())
                .isEqualTo(FunctionSpec.SCHEDULE_OFF);
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{}}").schedule()).isNull();
        assertThat(create("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"schedule\":"
                + "\"CRON_TZ=Europe/Paris @daily\"}}").schedule()).isEqualTo("CRON_TZ=Europe/Paris @daily");
        for (String bad : new String[] {"5", "\"* * *\"", "\"61 * * * *\"", "\"@every 500ms\"", "\"@every 2d\"",
                "\"@sometimes\"", "[\"@hourly\"]", "\"CRON_TZ=Mars/Olympus 0 9 * * *\"",
                "\"CRON_TZ=Europe/Paris @every 1m\""}) {
            ApiException e = refused("{\"name\":\"w\",\"code\":\"return 1;\",\"config\":{\"schedule\":" + bad
                    + "}}", true);
            assertThat(e.status()).as(bad).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(e.errors()).as(bad).extracting(FieldError::field).containsExactly("config.schedule");
        }
    }

    @Test
    void requiresNameAndCodeOnlyWhenCreating() {
        assertThat(refused("{}", true).errors()).extracting(FieldError::field).containsExactly("name", "code");
        FunctionSpec update = FunctionSpec.parse(JsonCodec.readTree("{\"status\":\"active\"}"), false, 10);
        assertThat(update.name()).isNull();
        assertThat(update.code()).isNull();
    }

    @Test
    void oversizedCodeAloneIs413() {
        ApiException e = catchThrowableOfType(ApiException.class, () -> FunctionSpec.parse(
                JsonCodec.readTree("{\"name\":\"big\",\"code\":\"" + "x".repeat(11) + "\"}"), true, 10));
        assertThat(e.status()).isEqualTo(HttpStatus.CONTENT_TOO_LARGE);
        assertThat(e.errors().getFirst().field()).isEqualTo("code");
    }

    @Test
    void rejectsNamesThatAreNotIdentifiersAndFractionalNumbers() {
        assertThat(refused("{\"name\":\"-x\",\"code\":\"return 1;\"}", true).errors().getFirst().field())
                .isEqualTo("name");
        assertThat(refused("{\"name\":\"x\",\"code\":\"return 1;\",\"config\":{\"timeoutMs\":1000.5}}", true)
                .errors().getFirst().field()).isEqualTo("config.timeoutMs");
        assertThat(refused("{\"name\":\"x\",\"code\":\"return 1;\",\"config\":[]}", true)
                .errors().getFirst().field()).isEqualTo("config");
    }

    @Test
    void namesFieldsAndSettingsItDoesNotKnowButAcceptsAFunctionAsRead() {
        assertThat(refused("{\"name\":\"x\",\"code\":\"return 1;\",\"config\":{\"timeout\":5000,\"memoryMb\":128}}",
                true).errors()).extracting(FieldError::field).containsExactly("config.timeout", "config.memoryMb");
        // a setting beside the fields rather than in config: where it belongs is said
        ApiException outside = refused("{\"name\":\"x\",\"code\":\"return 1;\",\"timeoutMs\":5000}", true);
        assertThat(outside.errors()).extracting(FieldError::field).containsExactly("timeoutMs");
        assertThat(outside.getMessage()).contains("send it in config");
        ApiException misspelled = refused("{\"descripton\":\"d\"}", false);
        assertThat(misspelled.errors()).extracting(FieldError::field).containsExactly("descripton");
        assertThat(misspelled.getMessage()).contains("is not a field of a function (code, config, description, name, "
                + "note, status)");

        FunctionSpec asRead = FunctionSpec.parse(JsonCodec.readTree("{\"id\":\"0123456789abcdef01234567\","
                + "\"tenant\":\"default\",\"name\":\"fib\",\"description\":\"\",\"code\":\"return 1;\","
                + "\"style\":\"body\",\"config\":{\"timeoutMs\":1000,\"retryCount\":3,\"maxConcurrency\":2},"
                + "\"status\":\"active\",\"version\":4,\"createdAt\":\"2026-12-06T20:00:00Z\","
                + "\"updatedAt\":\"2026-12-06T20:00:00Z\"}"), false, 256 * 1024);
        assertThat(asRead.name()).isEqualTo("fib");
        assertThat(asRead.maxConcurrency()).isEqualTo(2);
        // the version sent back is the one the update changes; a new function's is ignored
        assertThat(asRead.expectedVersion()).isEqualTo(4L);
        assertThat(create("{\"name\":\"x\",\"code\":\"return 1;\",\"version\":9}").expectedVersion()).isNull();
        assertThat(refused("{\"version\":\"4\"}", false).errors()).extracting(FieldError::field)
                .containsExactly("version");
    }

    @Test
    void readsEnvironmentVariablesInOrderAndNamesEachBadOne() {
        FunctionSpec spec = create("{\"name\":\"x\",\"code\":\"return 1;\",\"config\":{\"env\":"
                + "{\"TABLE\":\"orders\",\"_mode\":\"\",\"Z9\":\"caf\u00e9\"}}}");
        assertThat(spec.env()).containsExactly(java.util.Map.entry("TABLE", "orders"), java.util.Map.entry("_mode", ""),
                java.util.Map.entry("Z9", "caf\u00e9"));
        // left out keeps the stored ones; null or {} takes them all away
        assertThat(FunctionSpec.parse(JsonCodec.readTree("{\"config\":{\"retryCount\":1}}"), false, 10).env()).isNull();
        assertThat(FunctionSpec.parse(JsonCodec.readTree("{\"config\":{\"env\":null}}"), false, 10).env()).isEmpty();
        assertThat(FunctionSpec.parse(JsonCodec.readTree("{\"config\":{\"env\":{}}}"), false, 10).env()).isEmpty();

        ApiException bad = refused("{\"config\":{\"env\":{\"1X\":\"a\",\"A-B\":\"b\",\"PORT\":8080,"
                + "\"ON\":true,\"OK\":\"fine\"}}}", false);
        assertThat(bad.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(bad.errors()).extracting(FieldError::field)
                .containsExactly("config.env.1X", "config.env.A-B", "config.env.PORT", "config.env.ON");
        assertThat(bad.getMessage()).contains("config.env.1X is not a variable name");
        assertThat(bad.errors().get(2).reason()).startsWith("must be a string");
        assertThat(refused("{\"config\":{\"env\":[\"A=1\"]}}", false).errors()).extracting(FieldError::field)
                .containsExactly("config.env");
        // names the store or a browser would not keep as given
        ApiException reserved = refused("{\"config\":{\"env\":{\"_class\":\"java.util.EnumMap\","
                + "\"__proto__\":\"x\"}}}", false);
        assertThat(reserved.errors()).extracting(FieldError::field)
                .containsExactly("config.env._class", "config.env.__proto__");
        assertThat(reserved.errors()).extracting(FieldError::reason).containsOnly("is reserved");
        // 4,096 bytes of names and values are allowed, one more is not
        String fits = "{\"config\":{\"env\":{\"A\":\"" + "x".repeat(FunctionConfig.MAX_ENV_BYTES - 1) + "\"}}}";
        assertThat(FunctionSpec.parse(JsonCodec.readTree(fits), false, 10).env().get("A")).hasSize(4095);
        ApiException tooBig = refused("{\"config\":{\"env\":{\"A\":\"" + "x".repeat(2048) + "\",\"B\":\""
                + "\u00e9".repeat(1024) + "\"}}}", false);
        assertThat(tooBig.errors()).extracting(FieldError::field).containsExactly("config.env");
        assertThat(tooBig.getMessage()).contains("is 4098 bytes of names and values; the limit is 4096");
    }

    @Test
    void aPathSegmentIsAnIdOrANameAFunctionCouldHave() {
        assertThat(FunctionSpec.isName("by name")).isTrue();
        assertThat(FunctionSpec.isName("x".repeat(FunctionSpec.MAX_NAME))).isTrue();
        for (String notAName : new String[] {"", " by-name", "by-name ", "by$name", "-x", "x".repeat(65), "a/b"}) {
            assertThat(FunctionSpec.isName(notAName)).as(notAName).isFalse();
        }
        assertThat(FunctionService.idOrName("0123456789abcdef01234567")).isEqualTo("0123456789abcdef01234567");
        // a name that would be read as an id is refused
        assertThat(refused("{\"name\":\"0123456789abcdef01234567\",\"code\":\"return 1;\"}", true).errors())
                .extracting(FieldError::field).containsExactly("name");
        assertThat(create("{\"name\":\"0123456789ABCDEF01234567\",\"code\":\"return 1;\"}").name())
                .isEqualTo("0123456789ABCDEF01234567");
        assertThat(FunctionService.idOrName("fibonacci")).isEqualTo("fibonacci");
        ApiException neither = catchThrowableOfType(ApiException.class, () -> FunctionService.idOrName("fib?"));
        assertThat(neither.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(neither.errors()).extracting(FieldError::field).containsExactly("id");
    }
}
