" Vim syntax file for duet (.duet): keywords (compiler/front/lexer.l), the
" names of block items and experiment settings, the builtin functions
" (compiler/sema/sema_builtins.c), parameter types, declared names,
" comments, numbers, strings and operators. tests/editors checks these
" lists against the compiler's.
if exists("b:current_syntax")
  finish
endif

syn keyword duetKeyword use atom bond module optimizer experiment compare sweep with in over
syn keyword duetKeyword weight init let state data for eval every
syn keyword duetBoolean true false

" Items of atom and bond blocks, experiment settings, and the unit of `eval every`.
syn keyword duetItem forward norm dualize mass sensitivity
syn keyword duetItem model batch epochs steps seed schedule epoch

syn keyword duetType int float bool string

syn keyword duetBuiltin sqrt exp log abs min max floor ceil rsqrt tanh sigmoid sign relu gelu
syn keyword duetBuiltin square where dim permute reshape flatten split_heads merge_heads sum mean
syn keyword duetBuiltin rms rms_rows rms_cols frobenius spectral polar polar_exact normalize_rows
syn keyword duetBuiltin normalize_cols center_rows spd_pow eye softmax rmsnorm layernorm
syn keyword duetBuiltin attention rope gather conv2d maxpool2d avgpool2d fail orthogonal normal
syn keyword duetBuiltin uniform zeros ones with_mass tie aux_loss fashion_mnist kjv idx npy npz csv text tokens linreg quadratic clusters
syn keyword duetBuiltin spectrum cycle cross_entropy mse
syn keyword duetBuiltin accuracy loss singular_values head_ablation
syn keyword duetBuiltin sin cos argmax one_hot topk
syn keyword duetBuiltin spurious_pixel routing icl_linreg
syn keyword duetBuiltin reshape_as

" The name a declaration introduces: atom Linear, optimizer Dual, ...
syn match duetDeclName "\%(\<\%(atom\|bond\|module\|optimizer\|experiment\|compare\|sweep\)\s\+\)\@<=\h\w*"

" Integers and floats: 784, 0.5, 1e-3, 2.5E+10
syn match duetNumber "\<\d\+\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=\>"

syn region duetString start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline contains=duetEscape,duetBadEscape
syn match duetBadEscape contained +\\.+
syn match duetEscape contained +\\[ntr\\"]+

syn keyword duetTodo contained TODO FIXME XXX NOTE
syn match duetComment "#.*$" contains=duetTodo

syn match duetOperator ">>\|==\|!=\|<=\|>=\|&&\|||\|\.\.\|[-+*/^@<>=!?:]"

hi def link duetKeyword Keyword
hi def link duetBoolean Boolean
hi def link duetItem Statement
hi def link duetType Type
hi def link duetBuiltin Function
hi def link duetDeclName Identifier
hi def link duetNumber Number
hi def link duetString String
hi def link duetEscape SpecialChar
hi def link duetBadEscape Error
hi def link duetTodo Todo
hi def link duetComment Comment
hi def link duetOperator Operator

let b:current_syntax = "duet"
