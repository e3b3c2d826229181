" duet files: *.duet
autocmd BufRead,BufNewFile *.duet setfiletype duet
