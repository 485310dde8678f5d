package org.mailpin.gateway.http;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An {@code application/x-www-form-urlencoded} body that keeps field order and writes back every
 * field it did not change byte for byte, so the only change the gateway makes to a login form is
 * {@code _user}.
 */
final class FormBody {

    /** One {@code name=value} pair: the raw text as received, and its decoded parts. */
    private static final class Field {
        String raw;
        final String name;
        String value;

        Field(String raw, String name, String value) {
            this.raw = raw;
            this.name = name;
            this.value = value;
        }
    }

    private final List<Field> fields = new ArrayList<>();

    /**
     * Parses and decodes every name and value.
     *
     * @throws IllegalArgumentException if any part has a malformed {@code %} escape
     */
    static FormBody parse(String body) {
        FormBody form = new FormBody();
        if (body.isEmpty()) {
            return form;
        }
        for (String pair : body.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = decode(eq < 0 ? "" : pair.substring(eq + 1));
            form.fields.add(new Field(pair, name, value));
        }
        return form;
    }

    Optional<String> get(String name) {
        return fields.stream().filter(f -> f.name.equals(name)).findFirst().map(f -> f.value);
    }

    /** Replaces the first field of that name, or appends one. */
    void set(String name, String value) {
        String raw = URLEncoder.encode(name, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
        for (Field field : fields) {
            if (field.name.equals(name)) {
                field.raw = raw;
                field.value = value;
                return;
            }
        }
        fields.add(new Field(raw, name, value));
    }

    String encode() {
        List<String> pairs = new ArrayList<>();
        for (Field field : fields) {
            pairs.add(field.raw);
        }
        return String.join("&", pairs);
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
