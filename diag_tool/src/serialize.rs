//! `serde::Serialize` for plain structs from a field list: a declarative macro, so that no
//! proc-macro crate (and no syn) enters the build of the shipped binary.

/// Implements `serde::Serialize` for a struct, writing its fields in the order listed;
/// `field => "key"` renames one. The list must name every field: the impl destructures
/// the struct exhaustively, so a field added to the struct and not here fails to compile.
macro_rules! serialize_struct {
    ($ty:ident { $($field:ident $(=> $key:literal)?),* $(,)? }) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct as _;
                let $ty { $($field),* } = self;
                let fields = [$(stringify!($field)),*].len();
                let mut s = serializer.serialize_struct(stringify!($ty), fields)?;
                $( s.serialize_field(serialize_struct!(@key $field $($key)?), $field)?; )*
                s.end()
            }
        }
    };
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
}

#[cfg(test)]
mod tests {
    struct Sample {
        name: String,
        size: Option<u64>,
        is_virtual: bool,
    }
    serialize_struct!(Sample { name, size, is_virtual => "virtual" });

    #[test]
    fn fields_keep_their_listed_order_and_renames() {
        let sample = Sample { name: "sda".into(), size: None, is_virtual: true };
        assert_eq!(
            serde_json::to_string(&sample).unwrap(),
            r#"{"name":"sda","size":null,"virtual":true}"#
        );
    }
}
