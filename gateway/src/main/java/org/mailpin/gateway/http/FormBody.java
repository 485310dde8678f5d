package org.mailpin.gateway.http;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An {@code application/x-www-form-urlencoded} body that keeps field order and every field it
 * does not touch byte for byte, so the only change the gateway makes to a login form is {@code _user}.
 */
final class FormBody {

    private final List<String[]> fields = new ArrayList<>();

    static FormBody parse(String body) {
        FormBody form = new FormBody();
        if (body.isEmpty()) {
            return form;
        }
        for (String pair : body.split("&", -1)) {
            int eq = pair.indexOf('=');
            String rawName = eq < 0 ? pair : pair.substring(0, eq);
            String rawValue = eq < 0 ? "" : pair.substring(eq + 1);
            form.fields.add(new String[] {decode(rawName), rawValue});
        }
        return form;
    }

    Optional<String> get(String name) {
        return fields.stream().filter(f -> f[0].equals(name)).findFirst().map(f -> decode(f[1]));
    }

    void set(String name, String value) {
        String encoded = URLEncoder.encode(value, StandardCharsets.UTF_8);
        for (String[] field : fields) {
            if (field[0].equals(name)) {
                field[1] = encoded;
                return;
            }
        }
        fields.add(new String[] {name, encoded});
    }

    String encode() {
        List<String> pairs = new ArrayList<>();
        for (String[] field : fields) {
            pairs.add(URLEncoder.encode(field[0], StandardCharsets.UTF_8) + "=" + field[1]);
        }
        return String.join("&", pairs);
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
