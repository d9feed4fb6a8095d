// The folder that holds the node's PixelCache files: $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain,
// else /tmp/dtrain-cache-<euid> (one per user: a folder shared by users would let one plant files
// that another maps, or lock the others out). Whichever is used is created 0700 when missing and
// must be a folder owned by the effective user and not writable by group or others; anything else
// is a one-line InputError naming the folder and DTRAIN_CACHE. The check runs before any file in
// the folder is mapped, locked or written.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core
import Foundation

enum CacheFolder {
    /// The folder's path (not created or checked): $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain,
    /// else /tmp/dtrain-cache-<euid>.
    static func path() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["DTRAIN_CACHE"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/dtrain" }
        return "/tmp/dtrain-cache-\(geteuid())"
    }

    /// The folder, created (mode 0700, parents as needed) when missing and checked to be owned by
    /// geteuid() and not writable by group or others. `key` names the data set in messages.
    static func prepared(for key: String) throws -> String {
        let folder = path()
        var info = stat()
        if stat(folder, &info) != 0 {
            let parent = (folder as NSString).deletingLastPathComponent
            if !parent.isEmpty { try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST, stat(folder, &info) == 0 else {
                throw InputError("\(folder): cannot create the pixel cache folder for \(key) (\(errnoText())); set DTRAIN_CACHE to a writable folder")
            }
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw InputError("\(folder): the pixel cache folder is not a folder; set DTRAIN_CACHE to a folder of your own")
        }
        guard info.st_uid == geteuid() else {
            throw InputError("\(folder): the pixel cache folder is owned by uid \(info.st_uid), not by you (uid \(geteuid())): expected a folder of your own; set DTRAIN_CACHE to one")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw InputError("\(folder): the pixel cache folder is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))): expected one only you can write (chmod go-w); or set DTRAIN_CACHE to another folder")
        }
        return folder
    }
}
