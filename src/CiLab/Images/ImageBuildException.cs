namespace CiLab.Images;

/// <summary>An image could not be built; the message says what failed and shows the builder's last lines.</summary>
public sealed class ImageBuildException(string message, Exception? inner = null) : CiLabException(message, inner);
