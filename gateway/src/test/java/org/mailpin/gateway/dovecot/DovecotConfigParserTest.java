package org.mailpin.gateway.dovecot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.mailpin.gateway.dovecot.ConfigNode.Include;
import org.mailpin.gateway.dovecot.ConfigNode.Section;
import org.mailpin.gateway.dovecot.ConfigNode.Setting;

class DovecotConfigParserTest {

    private static final DovecotConfigParser PARSER = new DovecotConfigParser("test.conf");

    @Test
    void settingsAndSectionsKeepLines() {
        Section root = PARSER.parse("""
                # comment
                director_servers = 127.0.0.10

                service director {
                  inet_listener {
                    port = 9090
                  }
                }
                """);

        assertEquals(new Setting("director_servers", "127.0.0.10", 2), root.children().get(0));
        Section service = assertInstanceOf(Section.class, root.children().get(1));
        assertEquals("service", service.type());
        assertEquals("director", service.name());
        assertEquals(4, service.line());
        Section listener = service.sections("inet_listener").get(0);
        assertEquals("", listener.name());
        assertEquals(new Setting("port", "9090", 6), listener.setting("port").orElseThrow());
    }

    @Test
    void commentsOutsideQuotesRemoved() {
        Section root = PARSER.parse("""
                login_greeting = "ready # set" # trailing comment
                port = 143# no space before the comment
                """);

        assertEquals("ready # set", root.setting("login_greeting").orElseThrow().value());
        assertEquals("143", root.setting("port").orElseThrow().value());
    }

    @Test
    void backslashJoinsLines() {
        Section root = PARSER.parse("director_mail_servers = 10.0.0.1 \\\n    10.0.0.2\nssl = no\n");

        assertEquals(new Setting("director_mail_servers", "10.0.0.1 10.0.0.2", 1), root.children().get(0));
        assertEquals(3, root.setting("ssl").orElseThrow().line());
    }

    @Test
    void quotesRemovedFromValues() {
        Section root = PARSER.parse("a = \"x \\\"y\\\"\"\nb = 'z'\nc=plain\n");

        assertEquals("x \"y\"", root.setting("a").orElseThrow().value());
        assertEquals("z", root.setting("b").orElseThrow().value());
        assertEquals("plain", root.setting("c").orElseThrow().value());
    }

    @Test
    void lastSettingWins() {
        Section root = PARSER.parse("director_user_expire = 15 min\ndirector_user_expire = 60 min\n");

        assertEquals(new Setting("director_user_expire", "60 min", 2), root.setting("director_user_expire").orElseThrow());
    }

    @Test
    void includeKept() {
        Section root = PARSER.parse("!include conf.d/*.conf\n!include_try local.conf\n");

        assertEquals(List.of(new Include("conf.d/*.conf", false, 1), new Include("local.conf", true, 2)),
                root.children());
    }

    @Test
    void textAfterBraceRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> PARSER.parse("service director {\n  inet_listener { port = 9090 }\n}\n"));

        assertEquals("test.conf line 2: text after '{' in 'inet_listener { port = 9090 }'; Dovecot reads one setting "
                + "per line, so put each on its own line before the '}' line", e.getMessage());
    }

    @Test
    void unclosedSectionRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> PARSER.parse("ssl = no\nservice director {\n  inet_listener {\n    port = 9090\n  }\n"));

        assertEquals("test.conf line 2: section 'service director' is not closed; add a line with '}' after its "
                + "last setting", e.getMessage());
    }

    @Test
    void strayBraceRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class, () -> PARSER.parse("ssl = no\n}\n"));

        assertEquals("test.conf line 2: '}' without an open section; remove it", e.getMessage());
    }

    @Test
    void lineWithoutEqualsRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> PARSER.parse("director_servers 127.0.0.10\n"));

        assertEquals("test.conf line 1: cannot read 'director_servers 127.0.0.10'; expected 'key = value', "
                + "'section {', '}' or '!include FILE'", e.getMessage());
    }
}
