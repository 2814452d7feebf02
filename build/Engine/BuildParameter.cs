using System.Globalization;
using System.Reflection;
using System.Text;

namespace CiLab.Build.Engine;

/// <summary>One [Parameter] member of the build.</summary>
internal sealed class BuildParameter
{
    private readonly MemberInfo _member;

    public BuildParameter(MemberInfo member, string description, object build)
    {
        _member = member;
        Description = description;
        DefaultValue = Get(build);
    }

    public string Name => _member.Name;

    public string Description { get; }

    public object? DefaultValue { get; }

    public string OptionName => ToKebabCase(Name);

    public Type Type => _member is FieldInfo f ? f.FieldType : ((PropertyInfo)_member).PropertyType;

    public Type ElementType => Nullable.GetUnderlyingType(IsArray ? Type.GetElementType()! : Type) ?? (IsArray ? Type.GetElementType()! : Type);

    public bool IsArray => Type.IsArray;

    public bool IsFlag => ElementType == typeof(bool) && !IsArray;

    public object? Get(object build) => _member is FieldInfo f ? f.GetValue(build) : ((PropertyInfo)_member).GetValue(build);

    public void Set(object build, IReadOnlyList<string> values, string source)
    {
        object? value;
        if (IsArray)
        {
            var items = values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var array = Array.CreateInstance(ElementType, items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                array.SetValue(Convert(items[i], source), i);
            }

            value = array;
        }
        else if (values.Count == 0 && IsFlag)
        {
            value = true;
        }
        else if (values.Count != 1)
        {
            throw new BuildUsageException($"{source} takes one value, got {values.Count}.");
        }
        else
        {
            value = Convert(values[0], source);
        }

        if (_member is FieldInfo field)
        {
            field.SetValue(build, value);
        }
        else
        {
            ((PropertyInfo)_member).SetValue(build, value);
        }
    }

    private object Convert(string text, string source)
    {
        var type = ElementType;
        try
        {
            if (type == typeof(string))
            {
                return text;
            }

            if (type.IsEnum)
            {
                return Enum.Parse(type, text, ignoreCase: true);
            }

            if (type == typeof(bool))
            {
                return bool.Parse(text);
            }

            return System.Convert.ChangeType(text, type, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            var expected = type.IsEnum ? string.Join("|", Enum.GetNames(type)) : type.Name;
            throw new BuildUsageException($"{source}: '{text}' is not a valid value for {Name} (expected {expected}).");
        }
    }

    internal static string ToKebabCase(string name)
    {
        var text = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString().TrimStart('_');
    }
}
