package dev.s3c.gateway.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;

class HeaderTextTest {

    /** Every code point, alone and inside ordinary text, is judged as the firewall's own patterns judge it. */
    @Test
    void acceptsAndRefusesExactlyWhatTheFirewallsPatternsDo() {
        List<String> differ = new ArrayList<>();
        for (int codePoint = 0; codePoint <= Character.MAX_CODE_POINT; codePoint++) {
            String alone = Character.toString(codePoint);
            for (String text : List.of(alone, "Bearer " + alone + "x")) {
                if (HeaderText.isAllowedName(text) != StrictServerWebExchangeFirewall.ALLOWED_HEADER_NAMES.test(text)
                        || HeaderText.isAllowedValue(text)
                        != StrictServerWebExchangeFirewall.ALLOWED_HEADER_VALUES.test(text)) {
                    differ.add(Integer.toHexString(codePoint));
                }
            }
        }
        assertThat(differ).isEmpty();
    }

    @Test
    void tabsOnlyInValuesControlsAndUnassignedNowhereLoneSurrogatesAndNullPass() {
        assertThat(HeaderText.isAllowedValue("a\tb")).isTrue();
        assertThat(HeaderText.isAllowedName("a\tb")).isFalse();
        assertThat(HeaderText.isAllowedValue("key\u0085")).isFalse(); // a C1 control, which Netty lets through
        assertThat(HeaderText.isAllowedValue("x\u0378")).isFalse(); // unassigned
        assertThat(HeaderText.isAllowedValue("caf\u00e9 \uD83D\uDE00")).isTrue();
        assertThat(HeaderText.isAllowedValue("\uD83D")).isEqualTo(
                StrictServerWebExchangeFirewall.ALLOWED_HEADER_VALUES.test("\uD83D"));
        assertThat(HeaderText.isAllowedName(null)).isTrue();
        assertThat(HeaderText.isAllowedValue(null)).isTrue();
        assertThat(HeaderText.isAllowedValue("")).isTrue();
    }
}
