package org.mailpin.gateway.mail.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mailpin.gateway.mail.lmtp.LmtpCommand.PathArgument;

/** Tests command splitting and the MAIL FROM and RCPT TO argument parsers. */
class LmtpCommandTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "LHLO mta.example.com | LHLO | mta.example.com",
            "lhlo mta.example.com | LHLO | mta.example.com",
            "DATA                 | DATA | ''",
            "RCPT TO:<a@b>        | RCPT | TO:<a@b>",
            "NOOP  two spaces     | NOOP | ' two spaces'",
    })
    void splitsVerbAndArgument(String line, String verb, String argument) throws Exception {
        LmtpCommand command = LmtpCommand.parse(line);
        assertEquals(verb, command.verb());
        assertEquals(argument, command.argument());
    }

    @ParameterizedTest(name = "''{0}''")
    @CsvSource(delimiter = '|', value = {
            "''          | 500 5.5.2 Invalid command syntax",
            "' NOOP'     | 500 5.5.2 Invalid command syntax",
            "'RCPT2 TO:' | 500 5.5.2 Invalid command syntax",
            "'NO\tOP'    | 500 5.5.2 Invalid character in the command line",
    })
    void rejectsBadLines(String line, String reply) {
        CommandRejectedException e = assertThrows(CommandRejectedException.class, () -> LmtpCommand.parse(line));
        assertEquals(reply, e.reply().summary());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "FROM:<sender@example.org>                      | <sender@example.org>       | ''",
            "from:<sender@example.org>                      | <sender@example.org>       | ''",
            "FROM:<>                                        | <>                         | ''",
            "FROM:<sender@example.org> BODY=8BITMIME        | <sender@example.org>       | BODY=8BITMIME",
            "FROM:<sender@example.org> size=100 body=7bit   | <sender@example.org>       | SIZE=100 BODY=7bit",
            "FROM:<@relay.example,@b.example:s@example.org> | <s@example.org>            | ''",
            "FROM:<\"john doe\"@example.org>                | <\"john doe\"@example.org> | ''",
            "FROM:<s@[192.0.2.1]>                           | <s@[192.0.2.1]>            | ''",
            "FROM:<s@under_score.example>                   | <s@under_score.example>    | ''",
    })
    void parsesMailFrom(String argument, String path, String parameters) throws Exception {
        PathArgument parsed = new LmtpCommand("MAIL", argument).mailFrom();
        assertEquals(path, parsed.path().text());
        assertEquals(parameters, parsed.parameters().stream().map(LmtpCommand.Parameter::text)
                .collect(Collectors.joining(" ")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "FROM:sender@example.org                 | 501 5.1.7 Invalid sender address: the address must be in angle brackets, e.g. <user@example.com>",
            "FROM: <sender@example.org>              | 501 5.5.4 Unexpected whitespace before the address; syntax: MAIL FROM:<address> [parameters]",
            "TO:<sender@example.org>                 | 501 5.5.4 Syntax: MAIL FROM:<address> [parameters]",
            "FROM:<sender>                           | 501 5.1.7 Invalid sender address: missing @domain",
            "FROM:<sender@example.org               | 501 5.1.7 Invalid sender address: unexpected character after the address, expected '>'",
            "FROM:<a..b@example.org>                 | 501 5.1.7 Invalid sender address: invalid local part: empty part between dots",
            "FROM:<a@example..org>                   | 501 5.1.7 Invalid sender address: invalid domain: empty label",
            "FROM:<a@example.org>x                   | 501 5.1.7 Invalid sender address: unexpected text after '>'",
            "FROM:<\"open@example.org>               | 501 5.1.7 Invalid sender address: unterminated quoted local part",
            "FROM:<a@example.org> SIZE=big           | 501 5.5.4 Invalid SIZE parameter: expected a number of bytes",
            "FROM:<a@example.org> BODY=BINARYMIME    | 555 5.5.4 Unsupported BODY parameter: expected 7BIT or 8BITMIME",
            "FROM:<a@example.org> SMTPUTF8           | 555 5.5.4 Unsupported MAIL parameter SMTPUTF8",
            "FROM:<a@example.org> BODY=7BIT BODY=7BIT | 501 5.5.4 Duplicate parameter BODY",
            "FROM:<a@example.org>  BODY=7BIT         | 501 5.5.4 Invalid parameter ''",
            "FROM:<a@example.org> BODY=              | 501 5.5.4 Invalid value of parameter BODY",
            "FROM:<jörg@example.org>                 | 501 5.1.7 Invalid sender address: non-ASCII address; SMTPUTF8 is not supported",
    })
    void rejectsBadMailFrom(String argument, String reply) {
        CommandRejectedException e = assertThrows(CommandRejectedException.class,
                () -> new LmtpCommand("MAIL", argument).mailFrom());
        assertEquals(reply, e.reply().summary());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "TO:<user01@example.test>        | <user01@example.test>",
            "to:<User01+News@Example.TEST>   | <User01+News@Example.TEST>",
            "TO:<postmaster>                 | <postmaster>",
    })
    void parsesRcptTo(String argument, String path) throws Exception {
        assertEquals(path, new LmtpCommand("RCPT", argument).rcptTo().path().text());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "TO:<>                                | 501 5.1.3 Invalid recipient address: empty address",
            "TO:<user01@example.test> NOTIFY=NEVER | 555 5.5.4 Unsupported RCPT parameter NOTIFY",
            "TO:<a b@example.test>                 | 501 5.1.3 Invalid recipient address: unexpected character after the address, expected '>'",
            "TO:<@example.test>                    | 501 5.1.3 Invalid recipient address: invalid source route, expected ':'",
            "FROM:<user01@example.test>            | 501 5.5.4 Syntax: RCPT TO:<address>",
    })
    void rejectsBadRcptTo(String argument, String reply) {
        CommandRejectedException e = assertThrows(CommandRejectedException.class,
                () -> new LmtpCommand("RCPT", argument).rcptTo());
        assertEquals(reply, e.reply().summary());
    }

    @Test
    void rejectsControlCharactersInAddress() {
        for (String control : new String[] {"\r", "\n", "\0", "\u007f"}) {
            CommandRejectedException e = assertThrows(CommandRejectedException.class,
                    () -> new LmtpCommand("RCPT", "TO:<user01" + control + "@example.test>").rcptTo());
            assertEquals("501 5.1.3 Invalid recipient address: control character in the address", e.reply().summary(),
                    "control character " + (int) control.charAt(0));
        }
    }
}
