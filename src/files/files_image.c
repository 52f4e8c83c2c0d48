/*
 * files_image.c: photos re-encoded without their metadata, for the modules
 * that publish what people send (incident reports' photos now, maybe
 * others later): the only includer of <vips/vips.h>.
 *
 * Why libvips (Debian libvips-dev): it decodes JPEG and PNG with the
 * maintained libjpeg-turbo and libspng/libpng, streams large images in
 * little memory, applies the EXIF orientation and then writes a new file
 * from the pixels alone ("strip": no EXIF, no GPS, no maker notes or
 * camera serial, no embedded thumbnail, no XMP or IPTC, no ICC profile
 * beyond what the pixels need), and makes a thumbnail that shrinks while
 * decoding.  Re-encoding from pixels, rather than deleting known tags,
 * leaves nothing a tag list forgot.
 *
 * libvips is started once (files_image_init(), guichetd's init), with its
 * operation cache off (it would keep people's photos in memory) and one
 * worker thread per call (the request threads are the concurrency).
 */
#include <stdio.h>
#include <string.h>

#include <vips/vips.h>

#include "base/log.h"
#include "files/files.h"

static int	 started;

int
files_image_init(char *err, size_t errlen)
{
	if (started)
		return (0);
	if (VIPS_INIT("guichet") != 0) {
		snprintf(err, errlen, "libvips did not start: %s",
		    vips_error_buffer());
		vips_error_clear();
		return (-1);
	}
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_concurrency_set(1);
	started = 1;
	return (0);
}

/* Save 'img' as 'type' without metadata into *out (g_free()). */
static int
save(VipsImage *img, const char *type, void **out, size_t *outlen)
{
	if (strcmp(type, "image/png") == 0)
		return (vips_pngsave_buffer(img, out, outlen, "strip", TRUE,
		    "compression", 6, NULL));
	return (vips_jpegsave_buffer(img, out, outlen, "strip", TRUE, "Q", 85,
	    "optimize_coding", TRUE, NULL));
}

int
files_image_strip(const void *data, size_t len, const char *type,
    int max_side, int thumb_side, struct files_image *out)
{
	VipsImage	*in = NULL, *rot = NULL, *big = NULL, *th = NULL;
	double		 scale;
	int		 rc = -1, w, h;

	memset(out, 0, sizeof(*out));
	if (!started)
		return (-1);
	if ((in = vips_image_new_from_buffer(data, len, "", "fail", TRUE,
	    NULL)) == NULL)
		goto out;
	/* The orientation the EXIF says, applied before the EXIF goes. */
	if (vips_autorot(in, &rot, NULL) != 0)
		goto out;
	w = vips_image_get_width(rot);
	h = vips_image_get_height(rot);
	if (w <= 0 || h <= 0)
		goto out;
	if (w > max_side || h > max_side) {
		scale = (double)max_side / (w > h ? w : h);
		if (vips_resize(rot, &big, scale, NULL) != 0)
			goto out;
	} else {
		big = rot;
		g_object_ref(big);
	}
	if (save(big, type, &out->full, &out->full_len) != 0)
		goto out;
	if (vips_thumbnail_image(big, &th, thumb_side, "height", thumb_side,
	    NULL) != 0 || save(th, "image/jpeg", &out->thumb,
	    &out->thumb_len) != 0)
		goto out;
	out->width = vips_image_get_width(big);
	out->height = vips_image_get_height(big);
	rc = 0;
out:
	if (rc == -1) {
		/* The library's text may quote the file: not logged. */
		log_info("files: an image could not be re-encoded");
		vips_error_clear();
		files_image_free(out);
	}
	if (in != NULL)
		g_object_unref(in);
	if (rot != NULL)
		g_object_unref(rot);
	if (big != NULL)
		g_object_unref(big);
	if (th != NULL)
		g_object_unref(th);
	return (rc);
}

void
files_image_free(struct files_image *img)
{
	g_free(img->full);
	g_free(img->thumb);
	img->full = NULL;
	img->thumb = NULL;
	img->full_len = img->thumb_len = 0;
}
