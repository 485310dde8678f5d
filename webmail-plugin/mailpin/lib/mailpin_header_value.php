<?php

/**
 * Makes arbitrary text safe to send as an HTTP response header value.
 */
final class mailpin_header_value
{
    /**
     * Returns $text as one line of valid UTF-8 of at most $max_bytes bytes.
     *
     * Each non-empty string in $redact (such as the password) is replaced with "***" first.
     * Control characters, CR and LF included, become spaces and runs of whitespace collapse
     * to one space. The text is cut at a character boundary.
     *
     * @param string[] $redact
     */
    public static function single_line(string $text, int $max_bytes, array $redact = []): string
    {
        foreach ($redact as $secret) {
            if (is_string($secret) && $secret !== '') {
                $text = str_replace($secret, '***', $text);
            }
        }

        $text = mb_scrub($text, 'UTF-8');
        $text = preg_replace('/[\x00-\x1F\x7F]+/', ' ', $text);
        $text = trim(preg_replace('/\s+/u', ' ', $text));

        return rtrim(mb_strcut($text, 0, $max_bytes, 'UTF-8'));
    }
}
