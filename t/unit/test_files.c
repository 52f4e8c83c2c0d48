/*
 * test_files.c: what the files module decides without a database: a
 * file's type from its content (libmagic, and the signature a PDF, JPEG or
 * PNG must begin with), which original names may be kept, the name and
 * the Content-Disposition a download gets, and the name an upload's
 * Content-Disposition carries.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "files/files.h"
#include "files/files_int.h"
#include "unit.h"
#include "../integ/fileslib.h"

/* A 1x1 PNG (fileslib.c), the smallest JFIF JPEG, a one-object PDF. */
static char	*png;
static size_t	 png_len;

static void
setup(void)
{
	png = fl_png(NULL, &png_len);
}

static void
teardown(void)
{
	free(png);
}

static const unsigned char jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0,
	1, 0, 1, 0, 0, 0xff, 0xd9
};
static const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

static char	 type[FILES_TYPE_LEN];

/* files_sniff() says 'ok' and the type 'want' of 'n' bytes at 'p'. */
static void
sniffs(const void *p, size_t n, const char *accepted, int ok,
    const char *want)
{
	int	 got = files_sniff(p, n, accepted, type, sizeof(type));

	ck_assert_msg(got == ok && strcmp(type, want) == 0, "%.20s: %d %s, "
	    "expected %d %s", (const char *)p, got, type, ok, want);
}

START_TEST(test_files_sniff_the_three)
{
	sniffs(png, png_len, FILES_TYPES_DEFAULT, 1, "image/png");
	sniffs(jpeg, sizeof(jpeg), FILES_TYPES_DEFAULT, 1, "image/jpeg");
	sniffs(pdf, strlen(pdf), FILES_TYPES_DEFAULT, 1, "application/pdf");
}
END_TEST

/* Text in a file named .pdf, sent as application/pdf: text it is. */
START_TEST(test_files_sniff_text_refused)
{
	static const char	 text[] = "Attestation de domicile\n"
	    "Je soussigné certifie...\n";
	static const char	 html[] = "<!DOCTYPE html>\n<html><body>"
	    "<script>alert(document.cookie)</script></body></html>\n";

	sniffs(text, strlen(text), FILES_TYPES_DEFAULT, 0, "text/plain");
	sniffs(html, strlen(html), FILES_TYPES_DEFAULT, 0, "text/html");
	/* What the caller accepts decides: text when asked for. */
	sniffs(text, strlen(text), "text/plain", 1, "text/plain");
	sniffs(png, png_len, "application/pdf", 0, "image/png");
}
END_TEST

/*
 * Polyglots: libmagic calls PDF anything with "%PDF-" in its first
 * kilobyte, so an HTML page with a PDF header further down would be
 * stored as a PDF; the signature must come first.  A real PNG followed by
 * HTML stays a PNG: it is served as image/png, attachment, nosniff.
 */
START_TEST(test_files_sniff_polyglots)
{
	static const char	 html_pdf[] = "<html><script>alert(1)</script>\n"
	    "%PDF-1.4\n1 0 obj<<>>endobj\n";
	static const char	 svg[] = "<svg xmlns=\"http://www.w3.org/2000/"
	    "svg\"><script>alert(1)</script></svg>";
	static const char	 gif[] = "GIF89a/*<script>alert(1)</script>*/";
	char			 png_html[1024];

	sniffs(html_pdf, strlen(html_pdf), FILES_TYPES_DEFAULT, 0,
	    "application/pdf");
	sniffs(svg, strlen(svg), FILES_TYPES_DEFAULT, 0, "image/svg+xml");
	sniffs(gif, strlen(gif), FILES_TYPES_DEFAULT, 0, "image/gif");
	memcpy(png_html, png, png_len);
	memcpy(png_html + png_len, "<html><script>alert(1)</script>", 31);
	sniffs(png_html, png_len + 31, FILES_TYPES_DEFAULT, 1, "image/png");
	/* A PDF header alone: too short to be anything. */
	ck_assert_int_eq(files_sniff("%PD", 3, FILES_TYPES_DEFAULT, type,
	    sizeof(type)), 0);
}
END_TEST

START_TEST(test_files_name_ok)
{
	char	 longname[FILES_NAME_MAX + 2];

	ck_assert_int_eq(files_name_ok("attestation.pdf"), 1);
	ck_assert_int_eq(files_name_ok("Été à Montgenèvre – reçu.pdf"), 1);
	ck_assert_int_eq(files_name_ok("../../etc/passwd"), 1);	/* data */
	ck_assert_int_eq(files_name_ok(""), 0);
	ck_assert_int_eq(files_name_ok("a\nb.pdf"), 0);
	ck_assert_int_eq(files_name_ok("a\rContent-Type: text/html.pdf"), 0);
	ck_assert_int_eq(files_name_ok("a\x7f.pdf"), 0);
	ck_assert_int_eq(files_name_ok("a\xc2\x85.pdf"), 0);	/* NEL, C1 */
	ck_assert_int_eq(files_name_ok("\xff\xfe.pdf"), 0);
	ck_assert_int_eq(files_name_ok("\xc0\xaf.pdf"), 0);	/* overlong */
	ck_assert_int_eq(files_name_ok("\xed\xa0\x80.pdf"), 0);	/* surrogate */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(files_name_ok(longname), 0);
	longname[FILES_NAME_MAX] = '\0';
	ck_assert_int_eq(files_name_ok(longname), 1);
}
END_TEST

static void
safe_is(const char *name, const char *type_, const char *want)
{
	char	 out[512];

	files_safe_name(name, type_, out, sizeof(out));
	ck_assert_msg(strcmp(out, want) == 0, "safe name of \"%s\" (%s): "
	    "\"%s\", expected \"%s\"", name != NULL ? name : "(null)", type_,
	    out, want);
}

START_TEST(test_files_safe_name)
{
	char	 longname[300], want[256];

	safe_is("attestation.pdf", "application/pdf", "attestation.pdf");
	safe_is("photo.JPG", "image/jpeg", "photo.JPG");
	safe_is("photo.jpeg", "image/jpeg", "photo.jpeg");
	/* The extension says the content, whatever the name said. */
	safe_is("scan", "application/pdf", "scan.pdf");
	safe_is("report.pdf", "image/png", "report.pdf.png");
	safe_is("invoice.exe", "application/pdf", "invoice.exe.pdf");
	/* No path, no hidden file, no "..". */
	safe_is("../../etc/passwd", "application/pdf", "passwd.pdf");
	safe_is("C:\\Users\\léa\\Documents\\reçu.pdf", "application/pdf",
	    "reçu.pdf");
	safe_is(".htaccess", "image/png", "htaccess.png");
	safe_is("..", "image/png", "file.png");
	safe_is("dir/", "image/png", "file.png");
	safe_is(NULL, "application/pdf", "file.pdf");
	/* Reserved characters, controls and reordering characters. */
	safe_is("a\"b;c%d*e?.pdf", "application/pdf", "a_b_c_d_e_.pdf");
	safe_is("a\r\nSet-Cookie: x=1.pdf", "application/pdf",
	    "aSet-Cookie_ x=1.pdf");
	/* U+202E (right-to-left override): "invoice[RLO]fdp.exe" */
	safe_is("invoice\xe2\x80\xae" "fdp.exe", "application/pdf",
	    "invoicefdp.exe.pdf");
	safe_is("name .pdf. ", "application/pdf", "name .pdf");
	/* At most 100 characters before the extension, cut on a character. */
	memset(longname, 'x', 120);
	strcpy(longname + 120, ".pdf");
	memset(want, 'x', 100);
	strcpy(want + 100, ".pdf");
	safe_is(longname, "application/pdf", want);
	memset(want, 0, sizeof(want));
	strcpy(longname, "");
	for (int i = 0; i < 120; i++)
		strcat(longname, "\xc3\xa9");	/* é */
	for (int i = 0; i < 100; i++)
		strcat(want, "\xc3\xa9");
	strcat(want, ".pdf");
	safe_is(longname, "application/pdf", want);
}
END_TEST

static char *
disposition(const char *safe)
{
	struct buf	 b;
	size_t		 n;

	buf_init(&b);
	files_disposition(safe, &b);
	return (buf_detach(&b, &n));
}

START_TEST(test_files_disposition)
{
	char	*d, *p;

	d = disposition("attestation.pdf");
	ck_assert_str_eq(d, "attachment; filename=\"attestation.pdf\"; "
	    "filename*=UTF-8''attestation.pdf");
	free(d);
	/* Non-ASCII: a stand-in for old clients, the name in filename*. */
	d = disposition("été 2026 (1).pdf");
	ck_assert_str_eq(d, "attachment; filename=\"_t_ 2026 (1).pdf\"; "
	    "filename*=UTF-8''%C3%A9t%C3%A9%202026%20%281%29.pdf");
	free(d);
	/*
	 * Whatever reaches it (files_safe_name() removed these already):
	 * no quote, backslash, percent or line end escapes the quotes.
	 */
	d = disposition("a\"b\\c%d\r\ne.pdf");
	ck_assert_str_eq(d, "attachment; filename=\"a_b_c_d__e.pdf\"; "
	    "filename*=UTF-8''a%22b%5Cc%25d%0D%0Ae.pdf");
	for (p = d; *p != '\0'; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "byte %#x in %s",
		    (unsigned char)*p, d);
	free(d);
}
END_TEST

static void
upload_name_is(const char *header, const char *want)
{
	char	*got = files_disposition_name(header);

	ck_assert_msg((got == NULL && want == NULL) || (got != NULL &&
	    want != NULL && strcmp(got, want) == 0), "name of [%s]: %s, "
	    "expected %s", header != NULL ? header : "(none)",
	    got != NULL ? got : "(none)", want != NULL ? want : "(none)");
	free(got);
}

START_TEST(test_files_upload_name)
{
	upload_name_is(NULL, NULL);
	upload_name_is("attachment", NULL);
	upload_name_is("attachment; filename=\"reçu.pdf\"", "reçu.pdf");
	upload_name_is("attachment; filename=scan.pdf", "scan.pdf");
	upload_name_is("inline;filename=\"a\\\"b.pdf\"", "a\"b.pdf");
	upload_name_is("attachment; filename=\"a;b.pdf\"; size=3", "a;b.pdf");
	/* filename* wins, in either order. */
	upload_name_is("attachment; filename=\"e.pdf\"; "
	    "filename*=UTF-8''%C3%A9t%C3%A9.pdf", "été.pdf");
	upload_name_is("attachment; filename*=utf-8'fr'%C3%A9.pdf; "
	    "filename=\"e.pdf\"", "é.pdf");
	/* A bad filename* falls back to filename; NUL is never a name. */
	upload_name_is("attachment; filename*=ISO-8859-1''%E9.pdf; "
	    "filename=\"e.pdf\"", "e.pdf");
	upload_name_is("attachment; filename*=UTF-8''a%00.pdf", NULL);
	upload_name_is("attachment; filename*=UTF-8''a%G0.pdf", NULL);
	upload_name_is("attachment; filename=\"unterminated.pdf", NULL);
	upload_name_is("attachment; filename=\"\"", NULL);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_files_sniff_the_three,
	&test_files_sniff_text_refused,
	&test_files_sniff_polyglots,
	&test_files_name_ok,
	&test_files_safe_name,
	&test_files_disposition,
	&test_files_upload_name,
	NULL
};

const struct test_group test_groups[] = {
	{ "files", TEST_TIMEOUT_CHECK, setup, teardown, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
