/// The version of this library and of `dkimtool`.
public let version = "0.1.0"
