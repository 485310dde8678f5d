package org.mailpin.gateway.dovecot;

import java.util.List;
import java.util.Optional;

/** One element of a Dovecot 2.3 configuration file, with the line it starts on. */
public sealed interface ConfigNode {

    int line();

    /**
     * A {@code key = value} line. The value has its quotes removed. A value that starts with
     * {@code <} names a file whose content Dovecot reads, e.g. {@code ssl_cert = </etc/ssl/cert.pem}.
     */
    record Setting(String key, String value, int line) implements ConfigNode {
    }

    /** A block such as {@code service director { ... }}, whose name is "" for {@code passdb { ... }}. */
    record Section(String type, String name, int line, List<ConfigNode> children) implements ConfigNode {

        /** Returns the value of the last direct {@code key = value} child, as Dovecot keeps the last one. */
        public Optional<Setting> setting(String key) {
            Setting found = null;
            for (ConfigNode child : children) {
                if (child instanceof Setting setting && setting.key().equals(key)) {
                    found = setting;
                }
            }
            return Optional.ofNullable(found);
        }

        public List<Section> sections(String type) {
            return children.stream()
                    .filter(c -> c instanceof Section s && s.type().equals(type))
                    .map(c -> (Section) c)
                    .toList();
        }

        /** Returns e.g. {@code service director} or {@code passdb}. */
        public String title() {
            return name.isEmpty() ? type : type + " " + name;
        }
    }

    /** An {@code !include} or {@code !include_try} line, which the importer does not follow. */
    record Include(String path, boolean optional, int line) implements ConfigNode {
    }
}
