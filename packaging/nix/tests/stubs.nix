# Stand-ins for what the modules and the package take from nixpkgs, for
# evaluating them where there is no nixpkgs (CI has only Debian's nix-bin and
# no store: `nix-instantiate --store dummy://`).
#
# This is NOT the NixOS module system. `evalModule` follows `imports`,
# merges the option declarations of several modules by the module system's
# rule (one full declaration, the others bare), fills defaults, merges the
# configuration's definitions with the modules' own (mkIf/mkMerge pushed
# down, so a module may set an option its conditions read), stops on a
# definition nobody declares and on conflicting values, and hands the module
# an `options` tree with `value`/`isDefined`/`definitions` like the real
# one, and it keeps only the definitions of the highest priority (mkForce,
# mkDefault, an option's default, mkOverride). Only the type checks below.
# What it proves: the module's own logic (what it reads, what it writes,
# under which conditions), that it reads undeclared options without
# throwing, and that its declarations and definitions fit together with
# other modules' by those rules. What it cannot: that nixpkgs' lib, types
# and pkgs.formats.toml behave as these stubs do.
let
  missing = {
    __stubMissing = true;
  };
  isMissing = v: builtins.isAttrs v && v ? __stubMissing;

  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if builtins.isAttrs set && set ? ${builtins.head path} then
      attrByPath (builtins.tail path) default set.${builtins.head path}
    else
      default;

  filterAttrs =
    pred: set:
    builtins.listToAttrs (
      builtins.concatMap (
        n:
        if pred n set.${n} then
          [
            {
              name = n;
              value = set.${n};
            }
          ]
        else
          [ ]
      ) (builtins.attrNames set)
    );

  # Types: a name, a check, and what the evaluator needs to descend.
  mkType =
    name: check: extra:
    {
      _type = "stubType";
      inherit name check;
    }
    // extra;
  checked =
    type: loc: v:
    if type.check v then v else throw "stub types: ${loc} = ${builtins.toJSON v} is not a ${type.name}";

  types = rec {
    bool = mkType "bool" builtins.isBool { };
    str = mkType "str" builtins.isString { };
    int = mkType "int" builtins.isInt { };
    package = mkType "package" (v: builtins.isAttrs v && v ? outPath) { };
    tomlValue = mkType "TOML value" (_: true) { };
    enum = values: mkType "one of ${builtins.toJSON values}" (v: builtins.elem v values) { };
    nullOr = t: mkType "null or ${t.name}" (v: v == null || t.check v) { nullOf = t; };
    listOf = t: mkType "list of ${t.name}" (v: builtins.isList v && builtins.all t.check v) { };
    attrsOf = t: mkType "attrs of ${t.name}" builtins.isAttrs { attrsOf = t; };
    submodule =
      m:
      let
        body = if builtins.isFunction m then m { } else m;
      in
      mkType "submodule" builtins.isAttrs {
        submoduleOptions = body.options or { };
        freeform = body.freeformType or null;
      };
  };

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";

  lib = {
    inherit
      types
      isOption
      attrByPath
      filterAttrs
      ;
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: {
      _type = "option";
      type = types.bool;
      default = false;
      description = "Whether to enable ${name}.";
    };
    setAttrByPath = path: value: builtins.foldl' (v: n: { ${n} = v; }) value (lib.reverseList path);
    reverseList =
      l:
      builtins.genList (i: builtins.elemAt l (builtins.length l - 1 - i)) (builtins.length l);
    getBin = p: p.bin or p.out or p;
    # `from` is another name of `to`, without a warning: `from` declared
    # with `to`'s type, each of its definitions handed on to `to` (with its
    # priority, as the real one does).
    mkAliasOptionModule =
      from: to:
      { options, config, ... }:
      let
        fromOpt = attrByPath from null options;
      in
      {
        options = lib.setAttrByPath from {
          _type = "option";
          type = (attrByPath to null options).type;
          description = "Alias of ${builtins.concatStringsSep "." to}.";
          apply = _: attrByPath to null config;
        };
        config = lib.mkIf fromOpt.isDefined (
          lib.setAttrByPath to (lib.mkMerge fromOpt.definitions)
        );
      };
    mkOverride = priority: content: {
      _type = "override";
      inherit priority content;
    };
    mkForce = lib.mkOverride 50;
    mkDefault = lib.mkOverride 1000;
    mkOptionDefault = lib.mkOverride 1500;
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkMerge = contents: {
      _type = "merge";
      inherit contents;
    };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    literalMD = text: {
      _type = "literalMD";
      inherit text;
    };
    optional = c: x: if c then [ x ] else [ ];
    optionalString = c: s: if c then s else "";
    optionalAttrs = c: s: if c then s else { };
    mapAttrs' =
      f: set:
      builtins.listToAttrs (map (n: f n set.${n}) (builtins.attrNames set));
    nameValuePair = name: value: { inherit name value; };
    mapAttrsToList = f: set: map (n: f n set.${n}) (builtins.attrNames set);
    concatStringsSep = builtins.concatStringsSep;
    replaceStrings = builtins.replaceStrings;
    escapeShellArg = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] s}'";
    importTOML = path: builtins.fromTOML (builtins.readFile path);
    genAttrs =
      names: f:
      builtins.listToAttrs (
        map (n: {
          name = n;
          value = f n;
        }) names
      );
    # lib.fileset is recorded, not copied (copying needs a store).
    fileset = {
      toSource = args: {
        _stubFileset = true;
        inherit (args) root fileset;
      };
      unions = sets: builtins.filter (s: s != null) sets;
      difference = from: without: { inherit from without; };
      maybeMissing = path: if builtins.pathExists path then path else null;
    };
    licenses = {
      mit = {
        spdxId = "MIT";
      };
      asl20 = {
        spdxId = "Apache-2.0";
      };
    };
    platforms.linux = [
      "x86_64-linux"
      "aarch64-linux"
    ];
  };

  # A TOML writer for the value shapes gpu-launch's config has (scalars,
  # lists of scalars, nested tables). The tests check it by reading its
  # output back with builtins.fromTOML.
  toTOML =
    let
      key = k: if builtins.match "[A-Za-z0-9_-]+" k != null then k else builtins.toJSON k;
      scalar =
        v:
        if builtins.isBool v then
          (if v then "true" else "false")
        else if builtins.isInt v then
          toString v
        else if builtins.isString v then
          builtins.toJSON v
        else if builtins.isList v then
          "[" + builtins.concatStringsSep ", " (map scalar v) + "]"
        else
          throw "stub toTOML: cannot write ${builtins.typeOf v}";
      table =
        prefix: set:
        let
          names = builtins.attrNames set;
          plain = builtins.filter (n: !builtins.isAttrs set.${n}) names;
          tables = builtins.filter (n: builtins.isAttrs set.${n}) names;
          header = if prefix == [ ] then "" else "[" + builtins.concatStringsSep "." (map key prefix) + "]\n";
        in
        header
        + builtins.concatStringsSep "" (map (n: "${key n} = ${scalar set.${n}}\n") plain)
        + builtins.concatStringsSep "" (map (n: table (prefix ++ [ n ]) set.${n}) tables);
    in
    table [ ];

  # pkgs: `canExecute` false stands for a cross build.
  mkPkgs =
    {
      canExecute ? true,
      extra ? { },
    }:
    let
      pkgs = {
        formats.toml = _: {
          type = types.tomlValue;
          generate = name: value: {
            _stub = "formats.toml.generate";
            inherit name value;
            text = toTOML value;
            outPath = "/nix/store/00000000000000000000000000000000-${name}";
          };
        };
        runCommand = name: env: script: {
          _stub = "runCommand";
          inherit name env script;
          outPath = "/nix/store/11111111111111111111111111111111-${name}";
        };
        stdenv = {
          buildPlatform.canExecute = _: canExecute;
          hostPlatform.system = "x86_64-linux";
        };
        # callPackage for real: calls the file with what it asks for.
        callPackage =
          fn: args:
          let
            f = if builtins.isFunction fn then fn else import fn;
          in
          f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // args);
        inherit lib;
        mkShell =
          attrs:
          attrs
          // {
            _stub = "mkShell";
            outPath = "/nix/store/66666666666666666666666666666666-nix-shell";
          };
        installShellFiles = {
          _stub = "installShellFiles";
        };
        rustPlatform.buildRustPackage =
          attrs:
          attrs
          // {
            _stub = "buildRustPackage";
            name = "${attrs.pname}-${attrs.version}";
            outPath = "/nix/store/22222222222222222222222222222222-${attrs.pname}-${attrs.version}";
          };
      }
      // tools
      // extra;
    in
    pkgs;

  # The packages the flake's devShell takes from nixpkgs, by attribute name,
  # each a bare package whose pname is that name (glib with the `bin` output
  # nixpkgs' glib has, where gio is).
  tools =
    let
      tool = pname: {
        inherit pname;
        outPath = "/nix/store/55555555555555555555555555555555-${pname}";
      };
    in
    lib.genAttrs [
      "cargo"
      "clippy"
      "dbus"
      "desktop-file-utils"
      "fish"
      "gcc"
      "groff"
      "hyperfine"
      "man-db"
      "mesa"
      "nix"
      "pkg-config"
      "rustc"
      "rustfmt"
      "strace"
      "valgrind"
      "vulkan-headers"
      "vulkan-loader"
      "vulkan-tools"
      "zsh"
    ] tool
    // {
      glib = tool "glib" // {
        bin = tool "glib" // {
          outputName = "bin";
        };
      };
    };

  # The definitions at `path` in one definition tree (a module's `config`,
  # or the configuration's), mkIf and mkMerge pushed down as the module
  # system pushes them: a condition is evaluated only where its content
  # defines something at `path`, so a module may define an option whose
  # value its own conditions read (as module.nix does with
  # programs.gpu-launch.enable).
  defsAt =
    path: v:
    let
      t = if builtins.isAttrs v then v._type or null else null;
      inner = defsAt path v.content;
    in
    if t == "if" then
      (if builtins.length inner > 0 && v.condition then inner else [ ])
    else if t == "merge" then
      builtins.concatMap (defsAt path) v.contents
    else if t == "override" then
      map (d: if priorityOf d == 100 then lib.mkOverride v.priority d else d) (
        defsAt path v.content
      )
    else if path == [ ] then
      [ v ]
    else if builtins.isAttrs v && t == null && v ? ${builtins.head path} then
      defsAt (builtins.tail path) v.${builtins.head path}
    else
      [ ];

  # Priorities (mkOverride, mkForce, mkDefault): of an option's
  # definitions, only those of the highest priority (the lowest number)
  # count; a plain definition has 100, the option's default 1500.
  isOverride = d: builtins.isAttrs d && (d._type or null) == "override";
  priorityOf = d: if isOverride d then d.priority else 100;
  contentOf = d: if isOverride d then contentOf d.content else d;
  strongest =
    defs:
    let
      top = builtins.foldl' (m: d: if priorityOf d < m then priorityOf d else m) 10000 defs;
    in
    map contentOf (builtins.filter (d: priorityOf d == top) defs);

  unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];

  # Several definitions of one option with a plain type: lists are
  # concatenated, anything else must be defined once or the same each time
  # (the module system's "conflicting definition values").
  mergeValues =
    loc: defs:
    if builtins.length defs == 1 then
      builtins.head defs
    else if builtins.all builtins.isList defs then
      builtins.concatLists defs
    else if builtins.all (d: d == builtins.head defs) defs then
      builtins.head defs
    else
      throw "stub evalModule: The option `${loc}' has conflicting definition values: ${builtins.toJSON defs}";

  # Fills an option value from its definitions (or its default), descending
  # into submodules (declared options get defaults; with a freeformType, other
  # keys are kept as the freeform part) and attrsOf.
  fill =
    loc: opt: defs:
    let
      withDefault = defs ++ lib.optional (opt ? default) (lib.mkOptionDefault opt.default);
      v =
        if withDefault != [ ] then
          fillType loc opt.type withDefault
        else
          throw "stub evalModule: ${loc} is used but not defined";
    in
    if opt ? apply then opt.apply v else v;
  fillType =
    loc: type: allDefs:
    let
      defs = strongest allDefs;
      values = map (checked type loc) defs;
      nonNull = builtins.filter (d: d != null) defs;
    in
    if type ? submoduleOptions then
      fillTree loc type.submoduleOptions (type.freeform != null) values
    else if type ? attrsOf then
      builtins.listToAttrs (
        map (n: {
          name = n;
          value = fillType "${loc}.${n}" type.attrsOf (builtins.concatMap (defsAt [ n ]) values);
        }) (unique (builtins.concatMap builtins.attrNames values))
      )
    else if type ? nullOf then
      (
        if nonNull == [ ] then
          null
        else if builtins.length nonNull == builtins.length defs then
          checked type loc (fillType loc type.nullOf defs)
        else
          throw "stub evalModule: The option `${loc}' is defined both null and not null"
      )
    else
      checked type loc (mergeValues loc defs);
  # An option tree (nested attrs of options) filled from the list of
  # definition trees `defs`. With `freeform`, keys no option declares are
  # kept (merged as attribute sets); without (the top level), they are not.
  fillTree =
    loc: tree: freeform: defs:
    (
      if freeform then
        builtins.foldl' recursiveUpdate { } (
          map (d: removeAttrs (resolve d) (builtins.attrNames tree)) defs
        )
      else
        { }
    )
    // builtins.mapAttrs (
      n: node:
      let
        here = builtins.concatMap (defsAt [ n ]) defs;
      in
      if isOption node then fill "${loc}.${n}" node here else fillTree "${loc}.${n}" node false here
    ) tree;

  # `options` as the module system hands it over: each option with `value`,
  # `isDefined` and its raw `definitions`.
  withValues =
    loc: tree: defs:
    builtins.mapAttrs (
      n: node:
      let
        here = builtins.concatMap (defsAt [ n ]) defs;
      in
      if isOption node then
        node
        // {
          isDefined = here != [ ] || node ? default;
          definitions = here;
          value = fill "${loc}.${n}" node here;
        }
      else
        withValues "${loc}.${n}" node here
    ) tree;

  # Two modules' option declarations, merged as lib/modules.nix's
  # mergeOptionDecls merges them: one option may be declared by several
  # modules when at most one declaration has a default, an example, a
  # description or an apply, and their types are the same (the stub types
  # compare by name); else "already declared". An option declared where
  # another module declares an attribute set of options (a submodule taking
  # more options) is beyond the stubs.
  mergeDecls =
    loc: a: b:
    a
    // builtins.mapAttrs (
      n: v:
      let
        here = "${loc}${if loc == "" then "" else "."}${n}";
      in
      if !(a ? ${n}) then
        v
      else if isOption a.${n} && isOption v then
        (
          if
            builtins.any (k: a.${n} ? ${k} && v ? ${k}) [
              "default"
              "example"
              "description"
              "apply"
            ]
            || (a.${n} ? type && v ? type && a.${n}.type.name != v.type.name)
          then
            throw "stub evalModule: The option `${here}' is already declared"
          else
            a.${n} // v
        )
      else if isOption a.${n} || isOption v then
        throw "stub evalModule: ${here} is an option in one module and a set of options in another"
      else
        mergeDecls here a.${n} v
    ) b;

  # The paths of `defs` (a configuration's definitions) that no option in
  # `tree` declares: the module system's "The option ... does not exist".
  undeclared =
    loc: tree: defs:
    builtins.concatMap (
      n:
      let
        here = "${loc}${if loc == "" then "" else "."}${n}";
      in
      if !(tree ? ${n}) then
        [ here ]
      else if isOption tree.${n} then
        [ ]
      else if builtins.isAttrs defs.${n} then
        undeclared here tree.${n} defs.${n}
      else
        [ here ]
    ) (builtins.attrNames defs);

  recursiveUpdate =
    a: b:
    a
    // builtins.mapAttrs (
      n: v: if builtins.isAttrs v && builtins.isAttrs (a.${n} or null) then recursiveUpdate a.${n} v else v
    ) b;

  # mkIf/mkMerge resolved; lists from several definitions are concatenated.
  merge2 =
    a: b:
    a
    // builtins.mapAttrs (
      n: v:
      if !(a ? ${n}) then
        v
      else if builtins.isList v then
        a.${n} ++ v
      else if builtins.isAttrs v && !(v ? outPath) then
        merge2 a.${n} v
      else
        v
    ) b;
  resolve =
    v:
    let
      t = if builtins.isAttrs v then v._type or null else null;
    in
    if t == "if" then
      (if v.condition then resolve v.content else { })
    else if t == "merge" then
      builtins.foldl' merge2 { } (map resolve v.contents)
    else if t == "override" then
      resolve v.content
    else if builtins.isAttrs v && t == null && !(v ? outPath) then
      builtins.mapAttrs (_: resolve) v
    else
      v;

  # Evaluates one module and the modules it imports against `definitions`
  # (what a configuration.nix would set) and `otherOptions` (options that
  # other modules of the system declare, e.g.
  # hwc.infrastructure.hardware.gpu.type). Returns `config` (the declared
  # options' values, from the configuration's and the modules' own
  # definitions) and `out` (everything the modules define, mkIf/mkMerge
  # resolved: environment.etc, warnings, ... which nothing here declares).
  # Throws, as NixOS stops, for an option declared twice in full, a
  # definition of an option nobody declares, and conflicting definitions.
  evalModule =
    {
      module,
      definitions ? { },
      otherOptions ? { },
      pkgs ? mkPkgs { },
    }:
    let
      args = {
        inherit lib pkgs config;
        options = withValues "" declared allDefinitions;
      };
      collect =
        m:
        let
          body =
            if builtins.isFunction m then
              m args
            else if builtins.isPath m || builtins.isString m then
              (let f = import m; in if builtins.isFunction f then f args else f)
            else
              m;
        in
        [ body ] ++ builtins.concatMap collect (body.imports or [ ]);
      bodies = collect module;
      declared = builtins.foldl' (mergeDecls "") otherOptions (map (b: b.options or { }) bodies);
      allDefinitions = [ definitions ] ++ map (b: b.config or { }) bodies;
      config = fillTree "config" declared false allDefinitions;
      missingOptions = undeclared "" declared definitions;
    in
    if missingOptions != [ ] then
      throw "stub evalModule: The option `${builtins.head missingOptions}' does not exist."
    else
      {
        inherit config;
        out = builtins.foldl' merge2 { } (map (b: resolve (b.config or { })) bodies);
      };
in
{
  inherit
    lib
    mkPkgs
    evalModule
    toTOML
    recursiveUpdate
    ;
}
