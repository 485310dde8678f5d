<?php

use PHPUnit\Framework\TestCase;

final class MailpinHeaderValueTest extends TestCase
{
    public function testLineBreaksAndControlCharactersBecomeSpaces(): void
    {
        $this->assertSame('a b c d', mailpin_header_value::single_line("a\r\nb\tc\x00d", 200));
    }

    public function testWhitespaceRunsCollapseAndEndsAreTrimmed(): void
    {
        $this->assertSame('NO login failed', mailpin_header_value::single_line("  NO   login \n failed  ", 200));
    }

    public function testRedactedStringsAreReplaced(): void
    {
        $this->assertSame('bad *** here ***', mailpin_header_value::single_line('bad secret here secret', 200, ['secret', '']));
    }

    public function testTextIsCutAtCharacterBoundary(): void
    {
        $text = mailpin_header_value::single_line(str_repeat('ü', 150), 201);

        $this->assertSame(200, strlen($text));
        $this->assertTrue(mb_check_encoding($text, 'UTF-8'));
    }

    public function testInvalidUtf8IsReplaced(): void
    {
        $this->assertTrue(mb_check_encoding(mailpin_header_value::single_line("ok \xC3\x28 end", 200), 'UTF-8'));
    }
}
