/* What GLib makes of a desktop file: prints two lines,
 *   dbus <true|false>       g_key_file_get_boolean (Desktop Entry, DBusActivatable)
 *   exec <command line>     g_app_info_get_commandline of GDesktopAppInfo
 * and "unloadable" when GDesktopAppInfo refuses the file. Built by
 * tests/desktop_glib.rs against libglib2.0-dev (pkg-config gio-unix-2.0). */
#include <gio/gdesktopappinfo.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.desktop\n", argv[0]);
        return 2;
    }
    GKeyFile *kf = g_key_file_new();
    GError *error = NULL;
    if (!g_key_file_load_from_file(kf, argv[1], G_KEY_FILE_NONE, &error)) {
        printf("unloadable %s\n", error->message);
        return 0;
    }
    gboolean dbus = g_key_file_get_boolean(kf, G_KEY_FILE_DESKTOP_GROUP,
                                           G_KEY_FILE_DESKTOP_KEY_DBUS_ACTIVATABLE, NULL);
    printf("dbus %s\n", dbus ? "true" : "false");
    GDesktopAppInfo *info = g_desktop_app_info_new_from_filename(argv[1]);
    if (info == NULL) {
        printf("unloadable\n");
        return 0;
    }
    printf("exec %s\n", g_app_info_get_commandline(G_APP_INFO(info)));
    /* GDesktopAppInfo's own reading of the key decides D-Bus activation. */
    printf("info-dbus %s\n",
           g_desktop_app_info_get_boolean(info, G_KEY_FILE_DESKTOP_KEY_DBUS_ACTIVATABLE) ? "true"
                                                                                          : "false");
    return 0;
}
