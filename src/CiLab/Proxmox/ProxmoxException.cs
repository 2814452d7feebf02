using System.Net;

namespace CiLab.Proxmox;

/// <summary>The Proxmox VE API refused a call, a task it started failed, or the cluster could not be reached safely.</summary>
public sealed class ProxmoxException : CiLabException
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public ProxmoxException(string message, HttpStatusCode? status = null, Exception? inner = null)
        : base(message, inner) => Status = status;

    /// <summary>The HTTP status the API answered with, when it answered.</summary>
    public HttpStatusCode? Status { get; }
}
