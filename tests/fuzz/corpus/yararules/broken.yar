rule broken { condition: $nope 
