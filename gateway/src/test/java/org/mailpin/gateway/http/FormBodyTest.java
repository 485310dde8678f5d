package org.mailpin.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class FormBodyTest {

    /** A Roundcube 1.6 login form as a browser posts it, with escapes in several spellings. */
    private static final String LOGIN = "_token=AbC%2bdEf%2Fg&_task=login&_action=login"
            + "&_timezone=Europe%2FBerlin&_url=_task%3dmail%26_mbox%3DINBOX&_user=User01"
            + "&_pass=p%C3%A4ss+word%25%26";

    @Test
    void encodeKeepsOrder() {
        assertEquals("b=2&a=1&c=3", FormBody.parse("b=2&a=1&c=3").encode());
    }

    @Test
    void encodeUnchangedFormIdentical() {
        assertEquals(LOGIN, FormBody.parse(LOGIN).encode());
    }

    @Test
    void setUserKeepsOtherFieldsIdentical() {
        FormBody form = FormBody.parse(LOGIN);

        form.set("_user", "user01@example.test");

        List<String> before = List.of(LOGIN.split("&"));
        List<String> after = List.of(form.encode().split("&"));
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            if (!before.get(i).startsWith("_user=")) {
                assertEquals(before.get(i), after.get(i), "field " + i);
            }
        }
    }

    @Test
    void setUserEncodesValueInPlace() {
        FormBody form = FormBody.parse(LOGIN);

        form.set("_user", "user01@example.test");

        assertEquals("_user=user01%40example.test", form.encode().split("&")[5]);
    }

    @Test
    void setEncodesSpaceAndUtf8() {
        FormBody form = FormBody.parse("_user=x");

        form.set("_user", "jürgen müller&co=1");

        assertEquals("_user=j%C3%BCrgen+m%C3%BCller%26co%3D1", form.encode());
    }

    @Test
    void setAppendsMissingField() {
        FormBody form = FormBody.parse("_task=login");

        form.set("_user", "user01");

        assertEquals("_task=login&_user=user01", form.encode());
    }

    @Test
    void setReplacesFirstOfRepeatedField() {
        FormBody form = FormBody.parse("_user=a&_user=b");

        form.set("_user", "c");

        assertEquals("_user=c&_user=b", form.encode());
    }

    @Test
    void getDecodesValue() {
        assertEquals(Optional.of("päss word%&"), FormBody.parse(LOGIN).get("_pass"));
    }

    @Test
    void getDecodesName() {
        assertEquals(Optional.of("1"), FormBody.parse("a%5Bb%5D=1").get("a[b]"));
    }

    @Test
    void getMissingFieldEmpty() {
        assertEquals(Optional.empty(), FormBody.parse(LOGIN).get("_nope"));
    }

    @Test
    void getFieldWithoutEqualsSignEmptyValue() {
        assertEquals(Optional.of(""), FormBody.parse("_task=login&flag").get("flag"));
    }

    @Test
    void emptyBodyHasNoFields() {
        assertEquals("", FormBody.parse("").encode());
    }

    @Test
    void malformedEscapeInNameRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> FormBody.parse("_us%zzer=user01"));

        assertTrue(error.getMessage().contains("escape (%) pattern"), error.getMessage());
    }

    @Test
    void malformedEscapeInValueRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> FormBody.parse("_task=login&_user=user%zz01").get("_user"));

        assertTrue(error.getMessage().contains("escape (%) pattern"), error.getMessage());
    }

    @Test
    void truncatedEscapeRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> FormBody.parse("_user=user01%2").get("_user"));

        assertTrue(error.getMessage().contains("escape (%) pattern"), error.getMessage());
    }

    @Test
    void encodeKeepsRawNames() {
        assertEquals("a%5b%5d=1&flag&x=", FormBody.parse("a%5b%5d=1&flag&x=").encode());
    }

    @Test
    void malformedValueRejectedAtParse() {
        assertThrows(IllegalArgumentException.class, () -> FormBody.parse("_action=%zz"));
    }
}
