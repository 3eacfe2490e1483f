import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// Where `adjoin preset` puts the one-time password: a new file, mode 0600, owned by whoever runs the
/// preset. Never standard output: a password printed there lands in terminal scrollback, CI logs and
/// SSM's command history, the very places the issue this command answers names. The file is created
/// (O_EXCL, O_NOFOLLOW) before the directory is touched, so a path that cannot be written stops the
/// preset before an account gets a password nobody holds; a link or an existing file planted at the
/// path is refused, not followed or overwritten.
struct OneTimePasswordFile {
    let path: String
    private let descriptor: Int32

    static func create(_ path: String) throws(AdjoinError) -> OneTimePasswordFile {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let failure = POSIXFailure("open", Errno.current)
            throw .invalidInput(
                "--one-time-password-file \(path) cannot be created as a new file (\(failure.errno)); give a path that does not exist yet")
        }
        // The mode asked of open(2) is masked by the umask; 0600 it is, whatever the umask.
        fchmod(descriptor, 0o600)
        return OneTimePasswordFile(path: path, descriptor: descriptor)
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The password and a newline, then the file is closed.
    func write(_ password: SecretBytes) throws(AdjoinError) {
        defer { close(descriptor) }
        var failure: POSIXFailure?
        password.withUnsafeBytes { bytes in
            do throws(POSIXFailure) { try POSIX.writeAll(descriptor, bytes) } catch { failure = error }
        }
        if failure == nil, Glibc.write(descriptor, "\n", 1) != 1 || fsync(descriptor) != 0 {
            failure = POSIXFailure("write", Errno.current)
        }
        if let failure {
            throw AdjoinError(
                .unknownError,
                "the one-time password could not be written to \(path) (\(failure)); the account holds it nonetheless: preset it again")
        }
    }

    /// A preset that failed leaves no empty file behind.
    func discard() {
        close(descriptor)
        unlink(path)
    }
}
