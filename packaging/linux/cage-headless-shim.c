/* Test-only LD_PRELOAD shim for cage 0.1.4 on wlroots 0.15's headless backend, used by
 * test-cage-session.sh (never installed on a desk). Two things that cage 0.1.4 offers no
 * option for:
 *  - cage scans a fullscreen view of the output's size out directly (scan_out_primary_view:
 *    wlr_output_attach_buffer + wlr_output_commit); on headless + pixman, screencopy then
 *    reads back only the client's last damage (a black frame). The shim refuses that one
 *    commit, so cage composites as it does on a real DRM output (which cannot scan out a
 *    Qt Widgets wl_shm buffer anyway).
 *  - the headless output is always 1280x720 (no mode option, no wlr-output-management for
 *    wlr-randr): with KIOSK_HEADLESS_MODE=WxH the shim sets that custom mode before cage
 *    enables the output.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct wlr_output; struct wlr_buffer;
static bool scanout;
void wlr_output_attach_buffer(struct wlr_output *o, struct wlr_buffer *b) {
  static void (*real)(struct wlr_output *, struct wlr_buffer *);
  if (!real) real = dlsym(RTLD_NEXT, "wlr_output_attach_buffer");
  Dl_info info;
  /* Only cage's own call (its direct scan-out) is refused; wlroots calls this itself too. */
  if (dladdr(__builtin_return_address(0), &info) && info.dli_fname && !strstr(info.dli_fname, "libwlroots")) {
    scanout = true; return;
  }
  real(o, b);
}
bool wlr_output_commit(struct wlr_output *o) {
  static bool (*real)(struct wlr_output *);
  static void (*rollback)(struct wlr_output *);
  if (!real) { real = dlsym(RTLD_NEXT, "wlr_output_commit"); rollback = dlsym(RTLD_DEFAULT, "wlr_output_rollback"); }
  if (scanout) { scanout = false; rollback(o); return false; }
  return real(o);
}
void wlr_output_enable(struct wlr_output *o, bool en) {
  static void (*real)(struct wlr_output *, bool);
  static void (*mode)(struct wlr_output *, int, int, int);
  if (!real) { real = dlsym(RTLD_NEXT, "wlr_output_enable"); mode = dlsym(RTLD_DEFAULT, "wlr_output_set_custom_mode"); }
  const char *m = getenv("KIOSK_HEADLESS_MODE"); int w, h;
  if (en && m && sscanf(m, "%dx%d", &w, &h) == 2) mode(o, w, h, 0);
  real(o, en);
}
